/**
 * Outside probe, finding H5: a district layer's name becomes a key of every request's output (a key of
 * extended_attributes, a column of the bulk export), so a layer named like a built-in field overwrote it:
 * `districts:priority` showed extended_attributes.priority "West of Walnut" in GeoReport JSON and XML and
 * the staff queue, and a layer `lat` repeated the CSV header and replaced the location in NDJSON. Such a
 * name is now refused (400 listing the reserved names) by the admin API and the `geo import` command; a
 * layer an older version accepted is still stored, but no output lets it overwrite a built-in field.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { Command } from 'commander';
import request from 'supertest';
import { registerGeoImport } from '../src/cli/geo-import';
import type { CliIO } from '../src/cli/io';
import { importDistricts } from '../src/geo';
import { ADMIN_KEY, startTestServer, type TestServer } from './helpers/app';
import { disableDuplicateDetection, HEREFORD, plainService } from './helpers/fixtures';
import { getBoth } from './helpers/xml';

const BLOOMINGTON = path.resolve(__dirname, 'fixtures/bloomington');
const fixture = (name: string) => fs.readFileSync(path.join(BLOOMINGTON, name), 'utf8');
const CITY = JSON.parse(fixture('jurisdiction.json')) as { id: string };
const AREAS = fixture('districts-area.geojson');
const admin = { Authorization: `Bearer ${ADMIN_KEY}` };
const COLLIDING = ['priority', 'detailed_status', 'status_notes', 'lat'];

let t: TestServer;
let client: string;
let staff: string;

const geo = (jurisdiction: string, layer: string, body = AREAS) =>
  request(t.app)
    .post(`/admin/v1/jurisdictions/${jurisdiction}/geography/${layer}`)
    .set(admin)
    .set('Content-Type', 'application/geo+json')
    .send(body);
const layerCount = async (jurisdiction: string) =>
  Number((await t.db.knex('districts').where('jurisdiction_id', jurisdiction).count({ n: '*' }))[0]?.n);
/** The streamed exports, read whole as text. */
const text = (url: string) =>
  request(t.app)
    .get(url)
    .buffer(true)
    .parse((res, cb) => {
      let s = '';
      res.on('data', (c: Buffer) => (s += c.toString()));
      res.on('end', () => cb(null, s));
    })
    .then((r) => String(r.body));
type ViewedRequest = Record<string, unknown> & { extended_attributes: Record<string, unknown> };

/** A request at 29 Hereford St, in Boston. */
async function createAtHereford(): Promise<string> {
  const res = await request(t.app)
    .post('/open311/v2/requests.json')
    .type('form')
    .send({
      api_key: client,
      jurisdiction_id: 'boston',
      service_code: (await plainService(t)).serviceCode,
      lat: HEREFORD.lat,
      long: HEREFORD.long,
    });
  expect(res.status).toBe(201);
  return res.body[0].service_request_id;
}
const reservedIn = (description: string) =>
  (/these names are reserved: (.*)\.$/.exec(description)?.[1] ?? '').split(', ');

beforeAll(async () => {
  t = await startTestServer();
  client = await t.key('client', 'mobile');
  staff = await t.key('staff', 'staff');
  await disableDuplicateDetection(t);
});
afterAll(() => t.close());

it('every key a request is written out with (GeoReport, extensions, staff, bulk export) is refused as a layer name', async () => {
  const id = await createAtHereford();
  const keys = new Set<string>();
  const add = (o: object) => Object.keys(o).forEach((k) => keys.add(k));
  const one = (await request(t.app).get(`/open311/v2/requests/${id}.json?extensions=true`)).body[0];
  add(one);
  add(one.extended_attributes);
  const near = (
    await request(t.app).get(
      `/open311/v2/requests.json?extensions=true&sort=distance&lat=${HEREFORD.lat}&long=${HEREFORD.long}`,
    )
  ).body[0];
  expect(near.extended_attributes).toHaveProperty('distance');
  add(near.extended_attributes);
  const auth = { Authorization: `Bearer ${staff}` };
  add((await request(t.app).get(`/staff/v1/requests/${id}`).set(auth)).body);
  add((await request(t.app).get('/staff/v1/requests').set(auth)).body[0]);
  const csv = await text('/open311/v2/bulk/requests.csv');
  csv
    .split('\r\n')[0]!
    .split(',')
    .forEach((k) => keys.add(k));
  add((await request(t.app).get('/open311/v2/bulk/requests.json')).body[0]);
  add((await request(t.app).get('/open311/v2/bulk/requests.geojson')).body.features[0].properties);
  // The city's own layers (ward, ...) are keys too: they are the layers, not fields.
  const layers = (await t.db.knex('districts').where('jurisdiction_id', 'boston').distinct('layer')).map(
    (l: { layer: string }) => l.layer,
  );
  expect(layers.length).toBeGreaterThan(0);
  const fields = [...keys].filter((k) => !layers.includes(k));
  expect(fields.length).toBeGreaterThan(40);
  const refused = await Promise.all(
    fields.map(async (k) => [k, (await geo('boston', `districts:${k}`)).status]),
  );
  expect(refused.filter(([, status]) => status !== 400)).toEqual([]);
});

it('when the database already holds such layers, then every output keeps its built-in fields', async () => {
  // As an older version stored them (the importer itself does not judge names).
  const d = 0.01;
  const box = [
    [HEREFORD.long - d, HEREFORD.lat - d],
    [HEREFORD.long + d, HEREFORD.lat - d],
    [HEREFORD.long + d, HEREFORD.lat + d],
    [HEREFORD.long - d, HEREFORD.lat + d],
    [HEREFORD.long - d, HEREFORD.lat - d],
  ];
  const area = {
    type: 'FeatureCollection' as const,
    features: [
      {
        type: 'Feature' as const,
        properties: { name: 'West of Walnut' },
        geometry: { type: 'Polygon' as const, coordinates: [box] },
      },
    ],
  };
  for (const name of [...COLLIDING, 'snow_zone']) await importDistricts(t.db.knex, 'boston', name, area);
  const id = await createAtHereford();

  // GeoReport JSON and XML (getBoth checks they agree, and the spec).
  const { json } = await getBoth(t.app, `/open311/v2/requests/${id}`, 'extensions=true');
  const r = (json as ViewedRequest[])[0]!;
  expect(r.extended_attributes.priority).toBe('normal');
  expect(r.extended_attributes.detailed_status).toBe('open');
  expect(r.status_notes).toBeNull();
  expect(r.lat).toBe(HEREFORD.lat);
  // A layer named like no field of extended_attributes is shown there as before (lat, status_notes: a
  // GeoReport field of the same name is outside extended_attributes, and keeps its value).
  expect(r.extended_attributes).toMatchObject({ snow_zone: 'West of Walnut', lat: 'West of Walnut' });
  expect(JSON.stringify(r)).not.toMatch(/"(priority|detailed_status)":"West of Walnut"/);

  // The staff request and queue.
  const auth = { Authorization: `Bearer ${staff}` };
  const mine = (await request(t.app).get(`/staff/v1/requests/${id}`).set(auth)).body;
  expect(mine.extended_attributes).toMatchObject({ priority: 'normal', detailed_status: 'open' });
  const queue = (await request(t.app).get(`/staff/v1/requests?service_request_id=${id}`).set(auth))
    .body as ViewedRequest[];
  const queued = queue.find((q) => q.service_request_id === id)!;
  expect(queued.extended_attributes).toMatchObject({ priority: 'normal', detailed_status: 'open' });

  // The bulk export: one header per column, the location kept.
  const csv = (await text('/open311/v2/bulk/requests.csv')).split('\r\n');
  const header = csv[0]!.split(',');
  expect(header.length).toBe(new Set(header).size);
  expect(header.filter((h) => ['lat', 'status_notes', 'snow_zone'].includes(h))).toEqual([
    'status_notes',
    'lat',
    'snow_zone',
  ]);
  const row = csv.find((l) => l.startsWith(`${id},`))!.split(',');
  expect(Number(row[header.indexOf('lat')])).toBe(HEREFORD.lat);
  const nd = (await text('/open311/v2/bulk/requests.ndjson'))
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as Record<string, unknown>)
    .find((l) => l.service_request_id === id)!;
  expect(nd).toMatchObject({ lat: HEREFORD.lat, long: HEREFORD.long, snow_zone: 'West of Walnut' });
  expect(nd.status_notes).toBeNull();
  const line = (await text('/open311/v2/bulk/requests.ndjson'))
    .split('\n')
    .find((l) => l.includes(`"${id}"`))!;
  expect(line.match(/"lat":/g)).toHaveLength(1);
  const feature = (await request(t.app).get('/open311/v2/bulk/requests.geojson')).body.features.find(
    (f: { id: string }) => f.id === id,
  );
  expect(feature.geometry.coordinates).toEqual([HEREFORD.long, HEREFORD.lat]);
  expect(feature.properties).not.toHaveProperty('lat');
  expect(feature.properties.status_notes).toBeNull();

  // The layer is still a filter.
  const filtered = (
    await request(t.app).get('/open311/v2/requests.json?district_layer=priority&district=West%20of%20Walnut')
  ).body as Array<{ service_request_id: string }>;
  expect(filtered.map((f) => f.service_request_id)).toContain(id);
});

describe('a district layer named like an output field', () => {
  it('when an admin imports one, then it is a 400 listing the reserved names, and nothing is stored', async () => {
    await request(t.app).post('/admin/v1/jurisdictions').set(admin).send(CITY).expect(201);
    for (const name of COLLIDING) {
      const res = await geo(CITY.id, `districts:${name}`);
      expect([res.status, res.body[0]?.code]).toEqual([400, 400]);
      expect(res.body[0].description).toMatch(
        new RegExp(`^A district layer cannot be named "${name}": .*these names are reserved: .*\\.$`),
      );
      expect(reservedIn(res.body[0].description)).toEqual(expect.arrayContaining(COLLIDING));
      // A dry run or a replacement is refused the same way.
      expect((await geo(CITY.id, `districts:${name}?dry_run=true&replace=true`)).status).toBe(400);
    }
    expect(await layerCount(CITY.id)).toBe(0);
    // Any other name is imported as before.
    expect((await geo(CITY.id, 'districts:area')).status).toBe(201);
    expect(await layerCount(CITY.id)).toBe(2);
  });

  it('when the geo import command is given one, then it fails with the same sentence and writes nothing', async () => {
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'open311-layer-names-'));
    try {
      const file = path.join(tmp, 'districts-area.geojson');
      fs.writeFileSync(file, AREAS);
      const io: CliIO = {
        out: () => undefined,
        err: () => undefined,
        stderr: Object.assign(new PassThrough(), { isTTY: false }),
        interactive: false,
        ask: async () => '',
        now: () => 0,
        every: () => () => undefined,
      };
      const program = new Command().exitOverride();
      registerGeoImport(program, (fn) => fn(t.db), io);
      const before = await layerCount('boston');
      const failure = await program
        .parseAsync([
          'node',
          'open311',
          'geo',
          'import',
          '--jurisdiction',
          'boston',
          '--layer',
          'districts:lat',
          file,
        ])
        .then(
          () => null,
          (err: unknown) => err as { errors?: Array<{ description: string }> },
        );
      expect(failure?.errors?.[0]?.description).toMatch(/^A district layer cannot be named "lat": /);
      expect(await layerCount('boston')).toBe(before);
    } finally {
      fs.rmSync(tmp, { recursive: true, force: true });
    }
  });
});
