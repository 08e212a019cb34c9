/**
 * Probe M3 and L5: a boundary or district import checks every polygon before it writes anything. A ring of
 * two positions used to store an empty boundary, "a" was read as 0, longitude 1000 was stored, a second
 * boundary replaced the first without `replace=true`, a `crs` it could not read was ignored, and a gzip body
 * was read as CSV text whose bytes came back in the error. Over the admin API and `geo import` in-process;
 * each refusal is proved by the stored geometry being the same before and after.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import zlib from 'node:zlib';
import { Command } from 'commander';
import request from 'supertest';
import { registerGeoImport } from '../src/cli/geo-import';
import type { CliIO } from '../src/cli/io';
import { ADMIN_KEY, startTestServer, type TestServer } from './helpers/app';

let t: TestServer;
let tmp: string;

beforeAll(async () => {
  t = await startTestServer();
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'open311-geo-polygons-'));
  await request(t.app)
    .post('/admin/v1/jurisdictions')
    .set('Authorization', `Bearer ${ADMIN_KEY}`)
    .send({ id: 'newtown', name: 'Newtown', time_zone: 'America/New_York' })
    .expect(201);
});
afterAll(async () => {
  await t.close();
  fs.rmSync(tmp, { recursive: true, force: true });
});

type Position = unknown[];
const polygon = (...rings: Position[][]) => ({ type: 'Polygon', coordinates: rings });
const feature = (geometry: unknown, properties: Record<string, unknown> = { name: 'A' }) => ({
  type: 'Feature',
  properties,
  geometry,
});
const collection = (...features: unknown[]) => JSON.stringify({ type: 'FeatureCollection', features });
/** A square in Back Bay, `d` degrees a side. */
const square = (d = 0.01, long = -71.08, lat = 42.35): Position[] => [
  [long, lat],
  [long + d, lat],
  [long + d, lat + d],
  [long, lat + d],
  [long, lat],
];

const post = (
  jurisdiction: string,
  layerAndQuery: string,
  body: string | Buffer,
  type = 'application/geo+json',
) =>
  request(t.app)
    .post(`/admin/v1/jurisdictions/${jurisdiction}/geography/${layerAndQuery}`)
    .set('Authorization', `Bearer ${ADMIN_KEY}`)
    .set('Content-Type', type)
    // superagent would serialise a Buffer sent as JSON; a compressed file goes as it is
    .serialize((data: unknown) => data as string)
    .send(body);

/** The stored boundary, byte for byte (md5 of its EWKB), and whether it is empty. */
const boundaryOf = async (id: string) =>
  (
    await t.db.knex.raw(
      'SELECT md5(ST_AsEWKB(boundary)) AS hash, ST_IsEmpty(boundary) AS empty FROM jurisdictions WHERE id = ?',
      [id],
    )
  ).rows[0] as { hash: string | null; empty: boolean | null };
const districts = async (layer: string) =>
  Number((await t.db.knex('districts').where({ jurisdiction_id: 'boston', layer }).count({ n: '*' }))[0]?.n);

const refusal = (...lines: string[]) => [
  { code: 400, description: `${lines.length} of ${lines.length} features rejected, so nothing was changed:` },
  ...lines.map((description) => ({ code: 400, description })),
];

// eslint-disable-next-line no-control-regex
const NOT_PRINTABLE = /[\u0000-\u001F\u007F-\u009F\uFFFD]/;

describe('a boundary import with an invalid polygon: 400 naming the feature, the boundary as it was', () => {
  const cases: Array<[string, unknown, string]> = [
    [
      'an unclosed ring of two positions',
      polygon([
        [0, 0],
        [1, 0],
      ]),
      'feature 1: ring 1 has 2 positions; a ring needs at least 4, its last repeating its first',
    ],
    [
      'coordinates given as strings',
      polygon([
        ['a', 'b'],
        [1, 0],
        [1, 1],
        [0, 0],
      ]),
      'feature 1: ring 1, position 1: "a" is not a number',
    ],
    [
      'a null coordinate',
      polygon([[-71.08, null], ...square().slice(1)]),
      'feature 1: ring 1, position 1: null is not a number',
    ],
    [
      'a longitude out of range',
      polygon([
        [0, 0],
        [1000, 0],
        [1000, 1000],
        [0, 0],
      ]),
      'feature 1: ring 1, position 2: longitude 1000 is out of range (-180 to 180)',
    ],
    [
      'a latitude out of range',
      polygon([
        [0, 0],
        [1, 0],
        [1, 95],
        [0, 0],
      ]),
      'feature 1: ring 1, position 3: latitude 95 is out of range (-90 to 90)',
    ],
    [
      'a ring of four positions whose last is not its first',
      polygon([
        [-71.08, 42.35],
        [-71.07, 42.35],
        [-71.07, 42.36],
        [-71.08, 42.36],
      ]),
      'feature 1: ring 1 is not closed: its last position [-71.08,42.36] must repeat its first [-71.08,42.35]',
    ],
    [
      'a position of four numbers',
      polygon([[-71.08, 42.35, 0, 0], ...square().slice(1)]),
      'feature 1: ring 1, position 1: [-71.08,42.35,0,0] is not a position: [longitude, latitude] or [longitude, latitude, altitude]',
    ],
    [
      'a hole that is not a ring',
      polygon(square(), 5 as unknown as Position[]),
      'feature 1: ring 2 is not a list of positions (5)',
    ],
    ['a Polygon without rings', polygon(), 'feature 1: no ring: a polygon needs its outer ring'],
    [
      'a MultiPolygon whose second polygon is broken',
      {
        type: 'MultiPolygon',
        coordinates: [
          [square()],
          [
            [
              [0, 0],
              [1, 0],
            ],
          ],
        ],
      },
      'feature 1: polygon 2: ring 1 has 2 positions; a ring needs at least 4, its last repeating its first',
    ],
    ['a Point', { type: 'Point', coordinates: [-71.08, 42.35] }, 'feature 1: not a Polygon or MultiPolygon'],
    ['no geometry', null, 'feature 1: not a Polygon or MultiPolygon (no geometry)'],
  ];

  it.each(cases)('when %s, then 400 and the boundary is unchanged', async (_what, geometry, reason) => {
    const before = await boundaryOf('boston');
    const res = await post('boston', 'boundary?replace=true', collection(feature(geometry)));
    expect([res.status, res.body]).toEqual([400, refusal(reason)]);
    expect(await boundaryOf('boston')).toEqual(before);
    expect(before.empty).toBe(false);
  });

  it('when a coordinate is not finite (1e400), then 400', async () => {
    const before = await boundaryOf('boston');
    const body = collection(feature(polygon(square()))).replace('-71.08,42.35]', '1e400,42.35]');
    expect(body).toContain('1e400');
    const res = await post('boston', 'boundary?replace=true', body);
    expect(res.body).toEqual(refusal('feature 1: ring 1, position 1: a coordinate is not a finite number'));
    expect(await boundaryOf('boston')).toEqual(before);
  });

  it('when every position lies on one line, then the polygon has no area and is refused, never stored empty', async () => {
    const before = await boundaryOf('boston');
    const flat = polygon([
      [-71.08, 42.35],
      [-71.07, 42.35],
      [-71.06, 42.35],
      [-71.08, 42.35],
    ]);
    const res = await post('boston', 'boundary?replace=true', collection(feature(flat)));
    expect(res.status).toBe(400);
    expect(res.body[1].description).toMatch(/^feature 1: the polygon has no area once repaired \(.+\)$/);
    expect(await boundaryOf('boston')).toEqual(before);
  });

  it('when one feature of three is bad, then it is named by its position, and allow_rejects sets the rest', async () => {
    const file = collection(
      feature(polygon(square(0.01))),
      feature(
        polygon([
          ['a', 'b'],
          [1, 0],
          [1, 1],
          [0, 0],
        ]),
      ),
      feature(polygon(square(0.01, -71.06))),
    );
    const res = await post('newtown', 'boundary', file);
    expect(res.body).toEqual([
      {
        code: 400,
        description:
          '1 of 3 features rejected, so nothing was changed (allow_rejects=true imports the other 2):',
      },
      { code: 400, description: 'feature 2: ring 1, position 1: "a" is not a number' },
    ]);
    expect((await boundaryOf('newtown')).hash).toBeNull();
    const dry = await post('newtown', 'boundary?allow_rejects=true&dry_run=true', file);
    expect(dry.status).toBe(200);
    expect(dry.body).toMatchObject({ accepted: 2, rejected_count: 1, written: false });
    expect((await boundaryOf('newtown')).hash).toBeNull();
  });
});

describe('replacing a boundary', () => {
  it('when a jurisdiction has a boundary, then only replace=true replaces it, as every other layer', async () => {
    // newtown has none: the first import sets it (altitudes are dropped).
    const withAltitude = square(0.02).map(([x, y]) => [x, y, 12.5]);
    const first = await post('newtown', 'boundary', collection(feature(polygon(withAltitude))));
    expect(first.status).toBe(201);
    expect(first.body).toMatchObject({ accepted: 1, existing: 0, replaced: 0, warnings: [] });
    const set = await boundaryOf('newtown');
    expect(set.empty).toBe(false);

    const again = collection(feature(polygon(square(0.03))));
    for (const query of ['', '?dry_run=true', '?replace=false']) {
      const res = await post('newtown', `boundary${query}`, again);
      expect([query, res.status, res.body]).toEqual([
        query,
        400,
        [
          {
            code: 400,
            description:
              'newtown already has a boundary: replace=true (geo import --replace) replaces it; nothing was changed.',
          },
        ],
      ]);
      expect(await boundaryOf('newtown')).toEqual(set);
    }

    const replaced = await post('newtown', 'boundary?replace=true', again);
    expect(replaced.status).toBe(201);
    expect(replaced.body).toMatchObject({ accepted: 1, existing: 1, replaced: 1, written: true });
    const now = await boundaryOf('newtown');
    expect(now.empty).toBe(false);
    expect(now.hash).not.toBe(set.hash);
  });
});

describe('the crs of a GeoJSON file', () => {
  const withCrs = (crs: unknown, ...features: unknown[]) =>
    JSON.stringify({ type: 'FeatureCollection', crs, features });
  /** Back Bay in Massachusetts State Plane (EPSG:2249, feet). */
  const statePlane = [
    [772402, 2952862],
    [775086, 2952862],
    [775086, 2956520],
    [772402, 2956520],
    [772402, 2952862],
  ];

  it('when the crs names something this import cannot read, then 400 listing the forms it reads', async () => {
    const before = await boundaryOf('boston');
    const garbage = await post(
      'boston',
      'boundary?replace=true',
      withCrs({ type: 'name', properties: { name: 'garbage' } }, feature(polygon(square()))),
    );
    expect(garbage.status).toBe(400);
    expect(garbage.body).toEqual([
      {
        code: 400,
        description:
          'The GeoJSON crs "garbage" is not one this import reads: name one of "EPSG:2249", "urn:ogc:def:crs:EPSG::2249", "http://www.opengis.net/def/crs/EPSG/0/2249" or "urn:ogc:def:crs:OGC:1.3:CRS84" (WGS84), or give the EPSG code with srid (--srid on the command line), which wins over the file.',
      },
    ]);
    const link = await post(
      'boston',
      'districts:zone',
      withCrs({ type: 'link', properties: { href: 'http://example.com/crs' } }, feature(polygon(square()))),
    );
    expect(link.status).toBe(400);
    expect(link.body[0].description).toMatch(/^The GeoJSON "crs" member is not a named CRS/);
    expect(await boundaryOf('boston')).toEqual(before);
    expect(await districts('zone')).toBe(0);
  });

  it('when the crs is an EPSG name, then the file is reprojected from it; srid wins over the file', async () => {
    for (const name of [
      'urn:ogc:def:crs:EPSG::2249',
      'EPSG:2249',
      'http://www.opengis.net/def/crs/EPSG/0/2249',
    ]) {
      const res = await post(
        'boston',
        'districts:zone?dry_run=true',
        withCrs({ type: 'name', properties: { name } }, feature(polygon(statePlane))),
      );
      expect([name, res.status, res.body.accepted]).toEqual([name, 200, 1]);
    }
    // The same feet read as degrees are out of range.
    const asDegrees = await post(
      'boston',
      'districts:zone?dry_run=true',
      collection(feature(polygon(statePlane))),
    );
    expect(asDegrees.body[1].description).toBe(
      'feature 1: ring 1, position 1: longitude 772402 is out of range (-180 to 180)',
    );
    const srid = await post(
      'boston',
      'districts:zone?dry_run=true&srid=4326',
      withCrs({ type: 'name', properties: { name: 'garbage' } }, feature(polygon(square()))),
    );
    expect([srid.status, srid.body.accepted]).toEqual([200, 1]);
    expect(await districts('zone')).toBe(0);
  });
});

describe('district layers share the checks', () => {
  it('when features are bad, then all are named and nothing is written; allow_rejects imports the rest', async () => {
    const file = collection(
      feature(polygon(square()), { name: 'Good' }),
      feature(
        polygon([
          [0, 0],
          [1000, 0],
          [1000, 1000],
          [0, 0],
        ]),
        { name: 'Far' },
      ),
      feature(polygon(square(0.01, -71.06)), { title: 'no name' }),
    );
    const res = await post('boston', 'districts:zone', file);
    expect(res.body).toEqual([
      {
        code: 400,
        description:
          '2 of 3 features rejected, so nothing was changed (allow_rejects=true imports the other 1):',
      },
      {
        code: 400,
        description: 'feature 2: ring 1, position 2: longitude 1000 is out of range (-180 to 180)',
      },
      { code: 400, description: 'feature 3: no "name" property' },
    ]);
    expect(await districts('zone')).toBe(0);
    const allowed = await post('boston', 'districts:zone?allow_rejects=true', file);
    expect(allowed.status).toBe(201);
    expect(allowed.body).toMatchObject({ accepted: 1, rejected_count: 2 });
    expect(await districts('zone')).toBe(1);
  });

  it('when a polygon crosses itself, then it is repaired with ST_MakeValid and the answer warns, naming it', async () => {
    const bowtie = polygon([
      [-71.07, 42.35],
      [-71.06, 42.36],
      [-71.06, 42.35],
      [-71.07, 42.36],
      [-71.07, 42.35],
    ]);
    const res = await post('boston', 'districts:bowtie', collection(feature(bowtie, { name: 'Bow' })));
    expect(res.status).toBe(201);
    expect(res.body.warnings).toEqual([
      'feature 1: not a valid polygon (Self-intersection[-71.065 42.355]); repaired with ST_MakeValid',
    ]);
    const stored = await t.db.knex.raw(
      "SELECT ST_IsValid(geom) AS valid, ST_Area(geom) > 0 AS area FROM districts WHERE layer = 'bowtie'",
    );
    expect(stored.rows).toEqual([{ valid: true, area: true }]);
  });
});

describe('a compressed body (probe L5)', () => {
  it('when Content-Encoding is gzip, deflate or br, then the body is decompressed', async () => {
    const file = collection(feature(polygon(square()), { name: 'Zipped' }));
    for (const [coding, pack] of [
      ['gzip', zlib.gzipSync],
      ['deflate', zlib.deflateSync],
      ['br', zlib.brotliCompressSync],
    ] as const) {
      const res = await post('boston', 'districts:zone?dry_run=true', pack(Buffer.from(file))).set(
        'Content-Encoding',
        coding,
      );
      expect([coding, res.status, res.body]).toEqual([coding, 200, expect.objectContaining({ accepted: 1 })]);
    }
    const csv = 'external_id,house_number,street,zip,lat,long\nZ1,1,Zip St,02115,42.3505,-71.0866\n';
    const points = await post('boston', 'addresses?dry_run=true', zlib.gzipSync(csv), 'text/csv').set(
      'Content-Encoding',
      'gzip',
    );
    expect([points.status, points.body.accepted]).toEqual([200, 1]);
  });

  it('when the coding is unknown, then 415; when the bytes are not what they claim, then 400 with no control character', async () => {
    const csv = 'external_id,house_number,street,zip,lat,long\nZ1,1,Zip St,02115,42.3505,-71.0866\n';
    const unknown = await post('boston', 'addresses', zlib.gzipSync(csv), 'text/csv').set(
      'Content-Encoding',
      'compress',
    );
    expect(unknown.status).toBe(415);
    expect(unknown.body).toEqual([
      {
        code: 415,
        description:
          'Content-Encoding "compress" is not supported: send the file as it is, or compressed with gzip, deflate or br.',
      },
    ]);
    // gzip bytes sent as plain CSV: its "header" is binary, and none of it comes back raw.
    const raw = await post('boston', 'addresses', zlib.gzipSync(csv.repeat(20)), 'text/csv');
    expect(raw.status).toBe(400);
    for (const e of raw.body) expect(e.description).not.toMatch(NOT_PRINTABLE);
    // A body that says gzip and is not.
    const lying = await post('boston', 'addresses', csv, 'text/csv').set('Content-Encoding', 'gzip');
    expect(lying.status).toBe(400);
    expect(lying.body[0].description).toMatch(/^The CSV file cannot be read \(malformed or cut short\?\): /);
    for (const e of lying.body) expect(e.description).not.toMatch(NOT_PRINTABLE);
  });
});

describe('a body larger than GEO_IMPORT_MAX_MB once decompressed', () => {
  it('when a small gzip body inflates past the limit, then 413 and nothing is written', async () => {
    const config = t.ctx.config as { geoImportMaxBytes: number };
    const before = config.geoImportMaxBytes;
    config.geoImportMaxBytes = 1_048_576;
    try {
      const header = 'external_id,house_number,street,zip,lat,long\n';
      const rows = Array.from(
        { length: 40_000 },
        (_, i) => `B${i},${i + 1},Bomb St,02115,42.3505,-71.0866\n`,
      ).join('');
      const bomb = zlib.gzipSync(header + rows); // ~1.6 MB of CSV in a body of a few hundred kB
      expect(bomb.length).toBeLessThan(1_048_576);
      const points = await post('boston', 'addresses', bomb, 'text/csv').set('Content-Encoding', 'gzip');
      expect(points.status).toBe(413);
      expect(points.body).toEqual([
        {
          code: 413,
          description: expect.stringMatching(
            /^The addresses file is larger than 1 MB once decompressed, the most this server reads over HTTP \(GEO_IMPORT_MAX_MB\): nothing was imported\./,
          ),
        },
      ]);
      const bombed = await t.db.knex('address_points').where({ street: 'BOMB ST' }).count({ n: '*' });
      expect(Number(bombed[0]?.n)).toBe(0);

      // A district file is read whole: the same limit, uncompressed, and the layer is not created.
      const big = collection(
        ...Array.from({ length: 6_000 }, (_, i) =>
          feature(polygon(square(0.0001, -71.08 + i * 0.0002)), { name: `Z${i}` }),
        ),
      );
      expect(big.length).toBeGreaterThan(1_048_576);
      const zones = await post('boston', 'districts:bomb', big);
      expect([zones.status, zones.body[0]?.description]).toEqual([
        413,
        expect.stringContaining('(GEO_IMPORT_MAX_MB; 128 MB for boundaries and districts)'),
      ]);
      expect(await districts('bomb')).toBe(0);

      // Under the limit, the same route imports as before.
      const small = await post(
        'boston',
        'addresses?dry_run=true',
        zlib.gzipSync(header + rows.split('\n').slice(0, 100).join('\n') + '\n'),
        'text/csv',
      ).set('Content-Encoding', 'gzip');
      expect(small.status).toBe(200);
    } finally {
      config.geoImportMaxBytes = before;
    }
  });
});

/** `geo import` in-process: the same checks and messages on the command line. */
describe('geo import --layer boundary', () => {
  function fakeIO() {
    const out: string[] = [];
    const io: CliIO = {
      out: (l) => out.push(l),
      err: () => undefined,
      stderr: Object.assign(new PassThrough(), { isTTY: false }),
      interactive: false,
      ask: async () => '',
      now: () => 0,
      every: () => () => undefined,
    };
    return { io, out };
  }
  async function geoImport(io: CliIO, ...args: string[]): Promise<string[] | null> {
    const program = new Command().exitOverride();
    registerGeoImport(program, (fn) => fn(t.db), io);
    try {
      await program.parseAsync(['node', 'open311', 'geo', 'import', ...args]);
      return null;
    } catch (err) {
      const e = err as { errors?: Array<{ description: string }>; message: string };
      return e.errors?.map((x) => x.description) ?? [e.message];
    }
  }
  const file = (name: string, content: string | Buffer) => {
    const f = path.join(tmp, name);
    fs.writeFileSync(f, content);
    return f;
  };

  it('when the file is invalid, the crs unknown or --replace missing, then it fails naming why, the boundary as it was', async () => {
    const before = await boundaryOf('boston');
    const zones = await districts('zone');
    const twoPositions = collection(
      feature(
        polygon([
          [0, 0],
          [1, 0],
        ]),
      ),
    );
    expect(
      await geoImport(
        fakeIO().io,
        '--jurisdiction',
        'boston',
        '--layer',
        'boundary',
        '--replace',
        '--yes',
        file('two.geojson.gz', zlib.gzipSync(twoPositions)),
      ),
    ).toEqual([
      '1 of 1 features rejected, so nothing was changed:',
      'feature 1: ring 1 has 2 positions; a ring needs at least 4, its last repeating its first',
    ]);
    expect(
      await geoImport(
        fakeIO().io,
        '--jurisdiction',
        'boston',
        '--layer',
        'districts:zone',
        file(
          'strings.geojson',
          collection(
            feature(
              polygon([
                ['a', 'b'],
                [1, 0],
                [1, 1],
                [0, 0],
              ]),
            ),
            feature(polygon(square())),
          ),
        ),
      ),
    ).toEqual([
      '1 of 2 features rejected, so nothing was changed (--allow-rejects imports the other 1):',
      'feature 1: ring 1, position 1: "a" is not a number',
    ]);
    const crs = await geoImport(
      fakeIO().io,
      '--jurisdiction',
      'boston',
      '--layer',
      'boundary',
      '--replace',
      '--yes',
      file(
        'crs.geojson',
        JSON.stringify({
          type: 'FeatureCollection',
          crs: { type: 'name', properties: { name: 'urn:ogc:def:crs:EPSG::nonsense' } },
          features: [feature(polygon(square()))],
        }),
      ),
    );
    expect(crs?.[0]).toMatch(
      /^The GeoJSON crs "urn:ogc:def:crs:EPSG::nonsense" is not one this import reads/,
    );
    const good = file('good.geojson', collection(feature(polygon(square()))));
    expect(await geoImport(fakeIO().io, '--jurisdiction', 'boston', '--layer', 'boundary', good)).toEqual([
      'boston already has a boundary: replace=true (geo import --replace) replaces it; nothing was changed.',
    ]);
    expect(
      await geoImport(fakeIO().io, '--jurisdiction', 'boston', '--layer', 'boundary', '--replace', good),
    ).toEqual([
      '--replace replaces the boundary of boston: nothing was written; add --yes to confirm it without a terminal',
    ]);
    expect(await boundaryOf('boston')).toEqual(before);
    expect(await districts('zone')).toBe(zones);
  });

  it('when --replace --yes with a valid file, then the boundary is replaced and the summary says so', async () => {
    const { io, out } = fakeIO();
    expect((await boundaryOf('newtown')).hash).not.toBeNull(); // set by the tests above
    expect(
      await geoImport(
        io,
        '--jurisdiction',
        'newtown',
        '--layer',
        'boundary',
        '--replace',
        '--yes',
        file('newtown.geojson', collection(feature(polygon(square(0.05))))),
      ),
    ).toBeNull();
    expect(out).toEqual(['boundary: 1 imported, 0 rejected in 0.0 s (replaced the boundary of newtown)']);
    expect((await boundaryOf('newtown')).empty).toBe(false);
  });
});
