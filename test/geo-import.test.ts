/**
 * Issue #19, point 4: a GIS import you can trust. `geo import` run in-process on a copy of the demo city
 * (Boston: 39,308 address points and a boundary) with a fake terminal and clock, the same checks over the
 * admin API, and the command run as an operator runs it (a child process) for its exit code and stderr.
 * Every refusal is proved by counting the rows before and after.
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { Command } from 'commander';
import knexFactory from 'knex';
import request from 'supertest';
import { registerGeoImport } from '../src/cli/geo-import';
import type { CliIO } from '../src/cli/io';
import { openDatabase } from '../src/db/connect';
import { ADMIN_KEY, startTestServer, type TestServer } from './helpers/app';
import { buildService } from './helpers/factories';
import { embeddedDumpPath, usePostgres } from './helpers/template';
import { scratchPostgresDatabase } from './helpers/db';

const ROOT = path.resolve(__dirname, '..');
const BOSTON_POINTS = 39_308;
/** The demo's intersections layer (seeds/demo/boston/intersections.json.gz, less the rows it skips). */
const BOSTON_INTERSECTIONS = 5_515;
const HEADER = 'external_id,house_number,street,zip,lat,long';
const inBoston = (i: number) => `T${i},${i},Test Street,02115,42.35${String(i).padStart(2, '0')},-71.0866`;
const GOOD3 = [HEADER, inBoston(1), inBoston(2), inBoston(3)].join('\n') + '\n';
/** Line 3 is in New York, line 5 has no street. */
const MIXED =
  [
    HEADER,
    inBoston(1),
    'N1,350,5th Ave,10118,40.7484,-73.9857',
    inBoston(3),
    'X4,4,,02115,42.35,-71.08',
  ].join('\n') + '\n';

let t: TestServer;
let tmp: string;
const file = (name: string, text: string) => {
  const f = path.join(tmp, name);
  fs.writeFileSync(f, text);
  return f;
};
const count = async (table: string, where: Record<string, string> = { jurisdiction_id: 'boston' }) =>
  Number((await t.db.knex(table).where(where).count({ n: '*' }))[0]?.n);
const points = () => count('address_points');

const featureCollection = (features: unknown[]) => JSON.stringify({ type: 'FeatureCollection', features });
const point = (long: number, lat: number, properties: Record<string, unknown>) => ({
  type: 'Feature',
  properties,
  geometry: { type: 'Point', coordinates: [long, lat] },
});

/** A fake terminal (or pipe): what the command wrote, what it asked, a clock at 0. */
function fakeIO(o: { interactive?: boolean; answer?: string } = {}) {
  const out: string[] = [];
  const err: string[] = [];
  const asked: string[] = [];
  const intervals: number[] = [];
  const io: CliIO = {
    out: (l) => out.push(l),
    err: (l) => err.push(l),
    stderr: Object.assign(new PassThrough(), { isTTY: false }),
    interactive: o.interactive ?? false,
    ask: async (q) => {
      asked.push(q);
      return o.answer ?? '';
    },
    now: () => 0,
    every: (_fn, ms) => {
      intervals.push(ms);
      return () => undefined;
    },
  };
  return { io, out, err, asked, intervals };
}

/** `open311 geo import ARGS` in-process on the test database; the error it fails with, if any. */
async function geoImport(io: CliIO, ...args: string[]): Promise<Error | null> {
  const program = new Command().exitOverride();
  registerGeoImport(program, (fn) => fn(t.db), io);
  try {
    await program.parseAsync(['node', 'open311', 'geo', 'import', ...args]);
    return null;
  } catch (err) {
    return err as Error;
  }
}
const descriptions = (err: Error | null) =>
  (err as { errors?: Array<{ description: string }> } | null)?.errors?.map((e) => e.description) ?? [
    err?.message,
  ];

beforeAll(async () => {
  t = await startTestServer();
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'open311-geo-import-'));
});
afterAll(async () => {
  await t.close();
  fs.rmSync(tmp, { recursive: true, force: true });
});

describe('geo import: one friendly sentence, nothing written', () => {
  it('when the jurisdiction is unknown, then it names the known ones', async () => {
    const e = await geoImport(
      fakeIO().io,
      '--jurisdiction',
      'nowhere',
      '--layer',
      'addresses',
      file('a.csv', GOOD3),
    );
    expect(descriptions(e)).toEqual(['There is no jurisdiction "nowhere" (known: boston).']);
  });

  it('when the SRID is unknown, then it says so, without SQL, and nothing is written', async () => {
    const e = await geoImport(
      fakeIO().io,
      '--jurisdiction',
      'boston',
      '--layer',
      'addresses',
      '--srid',
      '99999',
      file('a.csv', GOOD3),
    );
    expect(descriptions(e)).toEqual([
      'Unknown SRID 99999: PostGIS has no coordinate system with that EPSG code.',
    ]);
    expect(await points()).toBe(BOSTON_POINTS);
  });

  it('when a GeoJSON file is cut in half, then the import fails as a whole, even a --replace', async () => {
    const features = Array.from({ length: 40 }, (_, i) => ({
      type: 'Feature',
      properties: { name: `Zone ${i}` },
      geometry: {
        type: 'Polygon',
        coordinates: [
          [
            [-71.06, 42.35],
            [-71.05, 42.35],
            [-71.05, 42.36],
            [-71.06, 42.35],
          ],
        ],
      },
    }));
    const whole = featureCollection(features);
    const wards = await count('districts', { jurisdiction_id: 'boston', layer: 'ward' });
    const e = await geoImport(
      fakeIO().io,
      '--jurisdiction',
      'boston',
      '--layer',
      'districts:ward',
      '--replace',
      '--yes',
      file('cut.geojson', whole.slice(0, whole.length / 2)),
    );
    expect(descriptions(e)).toHaveLength(1);
    expect(descriptions(e)[0]).toMatch(
      /^The GeoJSON file cannot be read \(malformed or cut short\?\) after feature \d+: /,
    );
    expect(await count('districts', { jurisdiction_id: 'boston', layer: 'ward' })).toBe(wards);
  });

  it('when a CSV is cut in half, then its last, partial line is a reject and nothing is imported', async () => {
    const e = await geoImport(
      fakeIO().io,
      '--jurisdiction',
      'boston',
      '--layer',
      'addresses',
      file('cut.csv', GOOD3.slice(0, 150)),
    );
    expect(descriptions(e)).toEqual([
      '1 of 3 rows rejected, so nothing was changed (--allow-rejects imports the other 2):',
      'line 4: missing or non-numeric coordinates',
    ]);
    const quote = await geoImport(
      fakeIO().io,
      '--jurisdiction',
      'boston',
      '--layer',
      'addresses',
      file('quote.csv', `${GOOD3}T9,9,"Test Str`),
    );
    expect(descriptions(quote)[0]).toMatch(
      /^The CSV file cannot be read \(malformed or cut short\?\): Quote Not Closed/,
    );
    expect(await points()).toBe(BOSTON_POINTS);
  });

  it('when the CSV lacks the columns, then it names the missing ones and the header it found', async () => {
    const e = await geoImport(
      fakeIO().io,
      '--jurisdiction',
      'boston',
      '--layer',
      'intersections',
      file('cols.csv', 'id,name,lat\n1,Main,42.35\n'),
    );
    expect(descriptions(e)).toEqual([
      'The CSV has no "street_a", "street_b", "long" columns (its header: id, name, lat); name the columns to read with the column options.',
    ]);
    expect(await count('intersections')).toBe(BOSTON_INTERSECTIONS);
  });

  it('when the database refuses a geometry, then the feature is named with the reason, without the SQL', async () => {
    // UTM zone 19N cannot take a point 10^30 m away: PostGIS refuses to reproject it.
    const far = [
      [0, 0],
      [1e30, 0],
      [1e30, 1e30],
      [0, 0],
    ];
    const e = await geoImport(
      fakeIO().io,
      '--jurisdiction',
      'boston',
      '--layer',
      'districts:zone',
      '--srid',
      '32619',
      file(
        'bad.geojson',
        featureCollection([
          {
            type: 'Feature',
            properties: { name: 'A' },
            geometry: { type: 'Polygon', coordinates: [far] },
          },
        ]),
      ),
    );
    expect(descriptions(e)[0]).toBe('1 of 1 features rejected, so nothing was changed:');
    expect(descriptions(e)[1]).toMatch(/^feature 1: the database refused the data \(.+\)$/);
    expect(descriptions(e).join(' ')).not.toMatch(/insert into|select |\$1|districts"/i);
    expect(await count('districts', { jurisdiction_id: 'boston', layer: 'zone' })).toBe(0);
  });
});

describe('geo import: all or nothing', () => {
  it('when rows are rejected, then nothing is imported and the first ones are listed with their lines', async () => {
    const e = await geoImport(
      fakeIO().io,
      '--jurisdiction',
      'boston',
      '--layer',
      'addresses',
      file('m.csv', MIXED),
    );
    expect(descriptions(e)).toEqual([
      '2 of 4 rows rejected, so nothing was changed (--allow-rejects imports the other 2):',
      'line 3: outside the boundary of boston',
      'line 5: no street',
    ]);
    expect(await points()).toBe(BOSTON_POINTS);
  });

  it('when more than 10 rows are rejected, then the first 10 are listed and the rest counted', async () => {
    const rows = Array.from({ length: 25 }, (_, i) => `N${i},${i},Broadway,10001,40.75,-73.99`);
    const e = await geoImport(
      fakeIO().io,
      '--jurisdiction',
      'boston',
      '--layer',
      'addresses',
      file('ny.csv', [HEADER, inBoston(1), ...rows].join('\n')),
    );
    const lines = descriptions(e);
    expect(lines[0]).toBe(
      '25 of 26 rows rejected, so nothing was changed (--allow-rejects imports the other 1):',
    );
    expect(lines.slice(1, 11)).toEqual(
      Array.from({ length: 10 }, (_, i) => `line ${i + 3}: outside the boundary of boston`),
    );
    expect(lines[11]).toBe('... and 15 more');
    expect(await points()).toBe(BOSTON_POINTS);
  });

  it('when GeoJSON features are rejected, then they are named by their index in the file', async () => {
    const e = await geoImport(
      fakeIO().io,
      '--jurisdiction',
      'boston',
      '--layer',
      'intersections',
      file(
        'ix.geojson',
        featureCollection([
          point(-71.0773, 42.3501, { street_a: 'Boylston St', street_b: 'Dartmouth St' }),
          point(-73.9857, 40.7484, { street_a: '5th Ave', street_b: 'W 34th St' }),
          { type: 'Feature', properties: { street_a: 'A St', street_b: 'B St' }, geometry: null },
        ]),
      ),
    );
    expect(descriptions(e)).toEqual([
      '2 of 3 features rejected, so nothing was changed (--allow-rejects imports the other 1):',
      'feature 2: outside the boundary of boston',
      'feature 3: not a Point feature',
    ]);
    expect(await count('intersections')).toBe(BOSTON_INTERSECTIONS);
  });

  it('when --allow-rejects, then the valid rows are imported, the rejects listed, and it succeeds', async () => {
    const { io, out } = fakeIO();
    expect(
      await geoImport(
        io,
        '--jurisdiction',
        'boston',
        '--layer',
        'addresses',
        '--allow-rejects',
        file('m.csv', MIXED),
      ),
    ).toBeNull();
    expect(out).toEqual([
      'addresses: 2 imported, 2 rejected in 0.0 s (0 kept, 0 moved, 2 added)',
      '  rejected line 3: outside the boundary of boston',
      '  rejected line 5: no street',
    ]);
    expect(await points()).toBe(BOSTON_POINTS + 2);
  });

  it('when the jurisdiction has no boundary yet, then points are taken with a warning', async () => {
    await request(t.app)
      .post('/admin/v1/jurisdictions')
      .set('Authorization', `Bearer ${ADMIN_KEY}`)
      .send({ id: 'newtown', name: 'Newtown', time_zone: 'America/New_York' })
      .expect(201);
    const { io, out, err } = fakeIO();
    expect(
      await geoImport(
        io,
        '--jurisdiction',
        'newtown',
        '--layer',
        'addresses',
        file('m.csv', MIXED.replace(/\nX4.*\n/, '\n')),
      ),
    ).toBeNull();
    expect(err).toEqual([
      'warning: newtown has no boundary yet, so these points were not checked against one (import --layer boundary first).',
    ]);
    expect(out[0]).toMatch(/^addresses: 3 imported, 0 rejected/);
    expect(await count('address_points', { jurisdiction_id: 'newtown' })).toBe(3);
  });
});

describe('geo import --dry-run', () => {
  it('when a dry run, then everything is checked and reported and nothing written', async () => {
    const before = await points();
    const { io, out } = fakeIO();
    expect(
      await geoImport(
        io,
        '--jurisdiction',
        'boston',
        '--layer',
        'addresses',
        '--dry-run',
        '--allow-rejects',
        file('m.csv', MIXED),
      ),
    ).toBeNull();
    // T1 and T3 were imported above (--allow-rejects): they are there already, and not added twice.
    expect(out[0]).toBe(
      `dry run, nothing written: addresses: 2 valid, 2 rejected; the import adds 0 address points to the ${before.toLocaleString('en-US')} of boston: 2 kept, 0 moved, 0 added (2 already there keep their ids, not added twice)`,
    );
    expect(out.slice(1)).toEqual([
      '  rejected line 3: outside the boundary of boston',
      '  rejected line 5: no street',
    ]);
    const replace = fakeIO();
    expect(
      await geoImport(
        replace.io,
        '--jurisdiction',
        'boston',
        '--layer',
        'addresses',
        '--dry-run',
        '--replace',
        file('g.csv', GOOD3),
      ),
    ).toBeNull();
    expect(replace.out).toHaveLength(1);
    expect(replace.out[0]).toMatch(
      new RegExp(
        `^dry run, nothing written: addresses: 3 valid, 0 rejected; the import replaces ${before.toLocaleString('en-US')} address points of boston with 3: 2 kept, 0 moved, 1 added, ${(before - 2).toLocaleString('en-US')} removed; \\d+ requests? loses? (its|their) link to a removed point \\(they keep their own location\\)$`,
      ),
    );
    const refused = await geoImport(
      fakeIO().io,
      '--jurisdiction',
      'boston',
      '--layer',
      'addresses',
      '--dry-run',
      file('m.csv', MIXED),
    );
    expect(descriptions(refused)[0]).toMatch(/^2 of 4 rows rejected/);
    expect(await points()).toBe(before);
  });
});

describe('the admin HTTP import: the same checks, as Open311 errors', () => {
  const post = (url: string, type: string, body: string) =>
    request(t.app)
      .post(`/admin/v1/jurisdictions/boston/geography/${url}`)
      .set('Authorization', `Bearer ${ADMIN_KEY}`)
      .set('Content-Type', type)
      .send(body);

  it('when rows are rejected, then 400 with the rejects listed and nothing written', async () => {
    const before = await points();
    const res = await post('addresses', 'text/csv', MIXED);
    expect(res.status).toBe(400);
    expect(res.body).toEqual([
      {
        code: 400,
        description: '2 of 4 rows rejected, so nothing was changed (allow_rejects=true imports the other 2):',
      },
      { code: 400, description: 'line 3: outside the boundary of boston' },
      { code: 400, description: 'line 5: no street' },
    ]);
    expect(await points()).toBe(before);
  });

  it('when dry_run=true, then 200 with what would be imported and replaced, and nothing written', async () => {
    const before = await points();
    const res = await post('addresses?dry_run=true&allow_rejects=true&replace=true', 'text/csv', MIXED);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      layer: 'addresses',
      dry_run: true,
      written: false,
      accepted: 2,
      rejected_count: 2,
      existing: before,
      replaced: before,
      warnings: [],
      kept: 2,
      moved: 0,
      added: 0,
      removed: before - 2,
      requests_unlinked: expect.any(Number),
    });
    expect(await points()).toBe(before);
  });

  it('when the file is cut short or the SRID unknown, then 400 with one sentence', async () => {
    const whole = featureCollection([
      point(-71.0773, 42.3501, { street: 'Boylston St' }),
      point(-71.0774, 42.3502, { street: 'Boylston St' }),
    ]);
    const cut = await post('addresses', 'application/geo+json', whole.slice(0, 120));
    expect(cut.status).toBe(400);
    expect(cut.body).toHaveLength(1);
    expect(cut.body[0].description).toMatch(/^The GeoJSON file cannot be read/);
    const srid = await post('addresses?srid=99999', 'text/csv', GOOD3);
    expect(srid.body).toEqual([
      { code: 400, description: 'Unknown SRID 99999: PostGIS has no coordinate system with that EPSG code.' },
    ]);
  });
});

describe('geo import --replace', () => {
  it('when not on a terminal and without --yes, then it says what it would replace and refuses', async () => {
    const before = await points();
    const e = await geoImport(
      fakeIO().io,
      '--jurisdiction',
      'boston',
      '--layer',
      'addresses',
      '--replace',
      file('g.csv', GOOD3),
    );
    expect(e?.message).toMatch(
      new RegExp(
        `^--replace replaces ${before.toLocaleString('en-US')} address points of boston with 3: 2 kept, 0 moved, 1 added, ${(before - 2).toLocaleString('en-US')} removed; \\d+ requests? loses? (its|their) link to a removed point \\(they keep their own location\\): nothing was written; add --yes to confirm it without a terminal$`,
      ),
    );
    expect(await points()).toBe(before);
  });

  // On newtown (3 points, no boundary), so that each run does not delete and restore Boston's 39,308.
  const newtownPoints = () => count('address_points', { jurisdiction_id: 'newtown' });

  it('when on a terminal, then it asks, and anything but yes writes nothing', async () => {
    const before = await newtownPoints();
    const no = fakeIO({ interactive: true, answer: '' });
    const e = await geoImport(
      no.io,
      '--jurisdiction',
      'newtown',
      '--layer',
      'addresses',
      '--replace',
      file('g.csv', GOOD3),
    );
    // newtown holds T1, N1 and T3: T1 and T3 are kept (same external_id), T2 added, N1 removed.
    expect(no.asked).toEqual([
      `This replaces ${before} address points of newtown with 3: 2 kept, 0 moved, 1 added, 1 removed; 0 requests lose their link to a removed point (they keep their own location). Continue? [y/N] `,
    ]);
    expect(e?.message).toBe('nothing was written');
    const other = fakeIO({ interactive: true, answer: 'nope' });
    await geoImport(
      other.io,
      '--jurisdiction',
      'newtown',
      '--layer',
      'addresses',
      '--replace',
      file('m.csv', MIXED),
      '--allow-rejects',
    );
    expect(await newtownPoints()).toBe(before);
    expect(await count('address_points', { jurisdiction_id: 'newtown', external_id: 'T2' })).toBe(0);
  });

  it('when confirmed (y on a terminal, or --yes), then the layer is replaced and the summary says by what', async () => {
    const before = await newtownPoints();
    const yes = fakeIO({ interactive: true, answer: 'y' });
    expect(
      await geoImport(
        yes.io,
        '--jurisdiction',
        'newtown',
        '--layer',
        'addresses',
        '--replace',
        file('g.csv', GOOD3),
      ),
    ).toBeNull();
    expect(yes.out).toEqual([
      `addresses: 3 imported, 0 rejected in 0.0 s (replaced ${before} address points of newtown with 3: 2 kept, 0 moved, 1 added, 1 removed; 0 requests lose their link to a removed point (they keep their own location))`,
    ]);
    expect(await count('address_points', { jurisdiction_id: 'newtown', external_id: 'T2' })).toBe(1);
    expect(yes.intervals).toEqual([5000]);
    const flag = fakeIO();
    expect(
      await geoImport(
        flag.io,
        '--jurisdiction',
        'newtown',
        '--layer',
        'addresses',
        '--replace',
        '--yes',
        file('m.csv', MIXED),
        '--allow-rejects',
      ),
    ).toBeNull();
    expect(flag.out[0]).toBe(
      'addresses: 3 imported, 1 rejected in 0.0 s (replaced 3 address points of newtown with 3: 2 kept, 0 moved, 1 added, 1 removed; 0 requests lose their link to a removed point (they keep their own location))',
    );
    expect(await count('address_points', { jurisdiction_id: 'newtown', external_id: 'T2' })).toBe(0);
    expect(await newtownPoints()).toBe(3);
    expect(await points()).toBe(BOSTON_POINTS + 2);
  });
});

/**
 * Finding 6: a refresh keeps ids. Address points of the file are matched to those in place on their
 * external_id, else on their address (number, street, unit, zip) within 50 m, and updated in place; requests
 * and apps keep their address_id. On "refreshville" (its own points, services and requests, no boundary).
 */
describe('geo import --layer addresses: a refresh keeps the ids', () => {
  const J = 'refreshville';
  const COLS = 'external_id,house_number,street,unit,zip,lat,long';
  // About 10 m north is 0.00009 degrees of latitude.
  const V1 = [
    COLS,
    'R1,1,Maple St,,02101,42.3000,-71.1000',
    'R2,2,Maple St,,02101,42.3001,-71.1000',
    'R3,3,Maple St,,02101,42.3002,-71.1000',
    ',7,Elm Street,,02101,42.3010,-71.1010',
    ',7,Elm Street,B,02101,42.3010,-71.1010',
  ].join('\n');
  /** R2 moved 10 m, R3 gone, R4 new, 7 Elm St moved 5 m and written "Elm St", 7B Elm St as it was. */
  const V2 = [
    COLS,
    'R1,1,Maple St,,02101,42.3000,-71.1000',
    'R2,2,Maple St,,02101,42.30019,-71.1000',
    'R4,4,Maple St,,02101,42.3003,-71.1000',
    ',7,Elm St,,02101,42.30104,-71.1010',
    ',7,Elm Street,B,02101,42.3010,-71.1010',
  ].join('\n');
  const ids = async () =>
    Object.fromEntries(
      (
        (await t.db
          .knex('address_points')
          .where('jurisdiction_id', J)
          .select('id', 'external_id', 'unit', 'address')) as Array<{
          id: string | number;
          external_id: string | null;
          unit: string | null;
          address: string;
        }>
      ).map((r) => [r.external_id ?? `${r.address}${r.unit ? ` ${r.unit}` : ''}`, String(r.id)]),
    ) as Record<string, string>;
  const jPoints = () => count('address_points', { jurisdiction_id: J });
  const importV = (io: CliIO, text: string, ...flags: string[]) =>
    geoImport(io, '--jurisdiction', J, '--layer', 'addresses', ...flags, file('v.csv', `${text}\n`));
  let serviceCode = '';
  let apiKey = '';
  const postAt = (addressId: string) =>
    request(t.app)
      .post('/open311/v2/requests.json')
      .type('form')
      .send({ api_key: apiKey, jurisdiction_id: J, service_code: serviceCode, address_id: addressId });
  const readRequest = async (id: string) =>
    (await request(t.app).get(`/open311/v2/requests/${id}.json?jurisdiction_id=${J}`).expect(200)).body[0];

  beforeAll(async () => {
    await request(t.app)
      .post('/admin/v1/jurisdictions')
      .set('Authorization', `Bearer ${ADMIN_KEY}`)
      .send({ id: J, name: 'Refreshville', time_zone: 'America/New_York' })
      .expect(201);
    serviceCode = (await buildService(t, { jurisdictionId: J })).serviceCode;
    apiKey = await t.key('client', 'mobile');
  });

  it('when the same file is imported again without --replace, then no point is added twice', async () => {
    const first = fakeIO();
    expect(await importV(first.io, V1)).toBeNull();
    expect(first.out[0]).toBe('addresses: 5 imported, 0 rejected in 0.0 s (0 kept, 0 moved, 5 added)');
    const before = await ids();
    const dry = fakeIO();
    expect(await importV(dry.io, V1, '--dry-run')).toBeNull();
    expect(dry.out).toEqual([
      `dry run, nothing written: addresses: 5 valid, 0 rejected; the import adds 0 address points to the 5 of ${J}: 5 kept, 0 moved, 0 added (5 already there keep their ids, not added twice)`,
    ]);
    const again = fakeIO();
    expect(await importV(again.io, V1)).toBeNull();
    expect(again.out[0]).toBe(
      'addresses: 5 imported, 0 rejected in 0.0 s (5 kept, 0 moved, 0 added (5 already there keep their ids, not added twice))',
    );
    expect(await jPoints()).toBe(5);
    expect(await ids()).toEqual(before);
    const found = await request(t.app)
      .get(`/open311/v2/addresses.json?jurisdiction_id=${J}&q=2 Maple St`)
      .expect(200);
    expect(found.body.filter((a: { address: string }) => a.address === '2 Maple St')).toHaveLength(1);
  });

  it('when a refresh --replace, then matched points keep their ids, requests keep their links, and the summary counts it all', async () => {
    const before = await ids();
    const r2 = await postAt(before.R2 as string).expect(201);
    const r3 = await postAt(before.R3 as string).expect(201);
    const r3Before = await readRequest(r3.body[0].service_request_id);
    expect(r3Before.address_id).toBe(before.R3);
    const summary =
      `replaces 5 address points of ${J} with 5: 2 kept, 2 moved, 1 added, 1 removed; ` +
      '1 request loses its link to a removed point (they keep their own location)';

    const dry = fakeIO();
    expect(await importV(dry.io, V2, '--replace', '--dry-run')).toBeNull();
    expect(dry.out).toEqual([
      `dry run, nothing written: addresses: 5 valid, 0 rejected; the import ${summary}`,
    ]);
    const http = await request(t.app)
      .post(`/admin/v1/jurisdictions/${J}/geography/addresses?replace=true&dry_run=true`)
      .set('Authorization', `Bearer ${ADMIN_KEY}`)
      .set('Content-Type', 'text/csv')
      .send(`${V2}\n`)
      .expect(200);
    expect(http.body).toMatchObject({
      written: false,
      accepted: 5,
      existing: 5,
      kept: 2,
      moved: 2,
      added: 1,
      removed: 1,
      requests_unlinked: 1,
    });
    expect(await ids()).toEqual(before);

    const asked = fakeIO({ interactive: true, answer: 'y' });
    expect(await importV(asked.io, V2, '--replace')).toBeNull();
    expect(asked.asked).toEqual([`This ${summary}. Continue? [y/N] `]);
    expect(asked.out).toEqual([
      `addresses: 5 imported, 0 rejected in 0.0 s (${summary.replace(/^replaces/, 'replaced')})`,
    ]);
    const after = await ids();
    expect(after.R1).toBe(before.R1);
    expect(after.R2).toBe(before.R2);
    expect(after['7 Elm St']).toBe(before['7 Elm Street']);
    expect(after['7 Elm Street B']).toBe(before['7 Elm Street B']);
    expect(after.R3).toBeUndefined();
    expect(after.R4).toMatch(/^\d+$/);
    expect(await jPoints()).toBe(5);

    // The moved point is where the file puts it, and the geocoder sees the new point at once.
    const moved = await request(t.app)
      .get(`/open311/v2/addresses.json?jurisdiction_id=${J}&q=2 Maple St`)
      .expect(200);
    expect(moved.body[0]).toMatchObject({ address_id: before.R2, lat: 42.30019 });
    const r4 = await request(t.app)
      .get(`/open311/v2/addresses.json?jurisdiction_id=${J}&q=4 Maple St`)
      .expect(200);
    expect(r4.body[0]).toMatchObject({ address_id: after.R4, address: '4 Maple St' });

    // The request at R2 keeps its link; the one at the removed R3 keeps its location and text only.
    expect((await readRequest(r2.body[0].service_request_id)).address_id).toBe(before.R2);
    const r3After = await readRequest(r3.body[0].service_request_id);
    expect(r3After).toMatchObject({
      address_id: null,
      address: r3Before.address,
      lat: r3Before.lat,
      long: r3Before.long,
    });
    // An app that cached R2's address_id still posts with it; R3's is gone.
    await postAt(before.R2 as string).expect(201);
    const gone = await postAt(before.R3 as string).expect(400);
    expect(gone.body[0].description).toMatch(/is not a known address/);
  });

  it('when points change, then address_streets and street_cells are those of the points', async () => {
    const { knex } = t.db;
    const derived = async () => ({
      streets: await knex('address_streets')
        .where('jurisdiction_id', J)
        .orderBy('street_key')
        .select('street_key', knex.raw('points::int AS points')),
      cells: await knex('street_cells')
        .where('jurisdiction_id', J)
        .orderBy(['street_key', 'cell_y', 'cell_x'])
        .select('street_key', 'cell_y', 'cell_x'),
    });
    const fromPoints = async () => ({
      streets: (
        await knex.raw(
          `SELECT street_key, count(*)::int AS points FROM address_points WHERE jurisdiction_id = ?
           GROUP BY street_key ORDER BY street_key`,
          [J],
        )
      ).rows,
      cells: (
        await knex.raw(
          `SELECT DISTINCT street_key, cell_y, cell_x FROM address_points WHERE jurisdiction_id = ?
           ORDER BY street_key, cell_y, cell_x`,
          [J],
        )
      ).rows,
    });
    expect(await derived()).toEqual(await fromPoints());
    expect((await derived()).streets).toEqual([
      { street_key: 'ELM ST', points: 2 },
      { street_key: 'MAPLE ST', points: 3 },
    ]);
    // A street renamed in place (same external_id) leaves no trace of the old name.
    expect(await importV(fakeIO().io, V2.replace('R4,4,Maple St', 'R4,4,Oak Rd'))).toBeNull();
    expect(await derived()).toEqual(await fromPoints());
    expect((await derived()).streets.map((r: { street_key: string }) => r.street_key)).toEqual([
      'ELM ST',
      'MAPLE ST',
      'OAK RD',
    ]);
  });

  it('when a one-line address column is named with --col-address, then the number, street, unit and zip are read from it', async () => {
    const oneLine = [
      'ID,Address,Latitude,Longitude',
      'B1,"3016 THORNDALE AVE, BC",42.3020,-71.1020',
      'B2,"12 Birch Road Apt 4, Refreshville MA 02102",42.3021,-71.1021',
    ].join('\n');
    const flags = ['--col-external-id', 'ID', '--col-lat', 'Latitude', '--col-long', 'Longitude'];
    // Mapped as the street (finding 15), it is refused instead of stored as streets without numbers.
    const refused = await importV(fakeIO().io, oneLine, ...flags, '--col-street', 'Address');
    expect(descriptions(refused)).toEqual([
      '2 of 2 street values start with a house number ("3016 THORNDALE AVE, BC") and no house number was read, so the street column holds whole addresses; nothing was changed. Name it as a one-line address column instead (--col-address COLUMN, over HTTP col_address=COLUMN): the number, street, unit and zip are then read from it as the geocoder reads an address. Or name the house number column (--col-house-number).',
    ]);
    expect(await count('address_points', { jurisdiction_id: J, external_id: 'B1' })).toBe(0);
    const { io, out } = fakeIO();
    expect(await importV(io, oneLine, ...flags, '--col-address', 'Address')).toBeNull();
    expect(out[0]).toMatch(/^addresses: 2 imported, 0 rejected/);
    const rows = await t.db
      .knex('address_points')
      .where('jurisdiction_id', J)
      .whereIn('external_id', ['B1', 'B2'])
      .orderBy('external_id')
      .select('house_number', 'street', 'unit', 'zip', 'address', 'street_key');
    expect(rows).toEqual([
      {
        house_number: '3016',
        street: 'THORNDALE AVE',
        unit: null,
        zip: null,
        address: '3016 THORNDALE AVE',
        street_key: 'THORNDALE AVE',
      },
      {
        house_number: '12',
        street: 'BIRCH RD',
        unit: 'APT 4',
        zip: '02102',
        address: '12 BIRCH RD',
        street_key: 'BIRCH RD',
      },
    ]);
    // Over HTTP: col_address; the same file again adds nothing.
    const http = await request(t.app)
      .post(
        `/admin/v1/jurisdictions/${J}/geography/addresses?col_address=Address&col_external_id=ID&col_lat=Latitude&col_long=Longitude`,
      )
      .set('Authorization', `Bearer ${ADMIN_KEY}`)
      .set('Content-Type', 'text/csv')
      .send(`${oneLine}\n`)
      .expect(201);
    expect(http.body).toMatchObject({ accepted: 2, kept: 2, moved: 0, added: 0, removed: 0 });
  });
});

/**
 * The command as an operator runs it, in its own process on its own copy of the demo city: exit codes,
 * what reaches stderr (one line, no stack trace), and the rows counted afterwards.
 */
describe('npm run cli -- geo import, in a child process', () => {
  let env: Record<string, string>;
  let drop: () => Promise<void>;
  let countPoints: () => Promise<number>;

  beforeAll(async () => {
    if (usePostgres()) {
      const scratch = await scratchPostgresDatabase('geo', 'template');
      env = { DATABASE_URL: scratch.url };
      const knex = knexFactory({ client: 'pg', connection: scratch.url, pool: { min: 0, max: 1 } });
      countPoints = async () => Number((await knex('address_points').count({ n: '*' }))[0]?.n);
      drop = async () => {
        await knex.destroy();
        await scratch.drop();
      };
    } else {
      const dataDir = path.join(tmp, 'data');
      const db = await openDatabase({
        kind: 'embedded',
        dataDir,
        loadDataDir: new Blob([fs.readFileSync(embeddedDumpPath())]),
      });
      await db.close();
      env = { DATA_DIR: dataDir, DATABASE_URL: '' };
      countPoints = async () => {
        const d = await openDatabase({ kind: 'embedded', dataDir });
        try {
          return Number((await d.knex('address_points').count({ n: '*' }))[0]?.n);
        } finally {
          await d.close();
        }
      };
      drop = async () => undefined;
    }
  }, 120_000);
  afterAll(() => drop());

  /** stderr without the progress lines (one every 5 s, so some on a slow machine). */
  const withoutProgress = (stderr: string) =>
    stderr.replace(/^addresses: [\d,]+ rows read \(\d+%\), [\d.,]+ rows\/s\n/gm, '');
  const cli = (...args: string[]) =>
    new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
      execFile(
        'sh',
        ['scripts/launch.sh', 'cli', 'geo', 'import', ...args],
        { cwd: ROOT, env: { ...process.env, LOG_LEVEL: 'warn', DEMO: 'false', ...env } },
        (err, stdout, stderr) =>
          resolve({ code: err ? Number((err as { code?: number }).code) : 0, stdout, stderr }),
      );
    });

  it('when the file is cut, rows rejected or --replace unconfirmed, then exit 1, a plain message, nothing written', async () => {
    const whole = featureCollection(
      Array.from({ length: 50 }, (_, i) =>
        point(-71.0866, 42.35 + i / 1e4, { street: 'Test St', house_number: String(i) }),
      ),
    );
    const cut = await cli(
      '--jurisdiction',
      'boston',
      '--layer',
      'addresses',
      '--replace',
      '--yes',
      file('cut.geojson', whole.slice(0, whole.length / 2)),
    );
    expect(cut.code).toBe(1);
    expect(withoutProgress(cut.stderr)).toMatch(
      /^open311: The GeoJSON file cannot be read \(malformed or cut short\?\) after feature \d+: [^\n]+\n$/,
    );

    const rejected = await cli('--jurisdiction', 'boston', '--layer', 'addresses', file('m.csv', MIXED));
    expect([rejected.code, withoutProgress(rejected.stderr)]).toEqual([
      1,
      'open311: 2 of 4 rows rejected, so nothing was changed (--allow-rejects imports the other 2):\n  line 3: outside the boundary of boston\n  line 5: no street\n',
    ]);

    const replace = await cli(
      '--jurisdiction',
      'boston',
      '--layer',
      'addresses',
      '--replace',
      file('g.csv', GOOD3),
    );
    expect(replace.code).toBe(1);
    expect(withoutProgress(replace.stderr)).toMatch(
      /^open311: --replace replaces 39,308 address points of boston with 3: 0 kept, 0 moved, 3 added, 39,308 removed; \d+ requests? loses? (its|their) link to a removed point \(they keep their own location\): nothing was written; add --yes/,
    );
    expect(await countPoints()).toBe(BOSTON_POINTS);

    const done = await cli(
      '--jurisdiction',
      'boston',
      '--layer',
      'addresses',
      '--replace',
      '--yes',
      file('g.csv', GOOD3),
    );
    expect(done.code).toBe(0);
    expect(withoutProgress(done.stderr)).toBe('');
    expect(done.stdout).toMatch(
      /^addresses: 3 imported, 0 rejected in \d+\.\d s \(replaced 39,308 address points of boston with 3: 0 kept, 0 moved, 3 added, 39,308 removed; \d+ requests? loses? (its|their) link to a removed point \(they keep their own location\)\)\n$/,
    );
    expect(await countPoints()).toBe(3);
  }, 180_000);
});
