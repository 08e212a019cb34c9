/**
 * Builds the demo city (Boston, from real open data) into seeds/demo/boston/ from ../shared/data/real311
 * (or REAL311_DIR). Run: `npm run demo:build`. The output is committed, so a fresh clone needs nothing from
 * outside. Geometry is derived inside embedded PostGIS (PGlite), so no other tool is needed:
 * - address points: distinct LOCATION_STREET_NAME of the 2015 cases, at the median of their coordinates;
 * - boundary: grid cells (~150 m) holding addresses, buffered by 250 m, merged, holes filled, so open water
 *   far from any address (the harbour) stays outside; it is derived, not the official city limit;
 * - districts: Voronoi cells of the grid cells, each labelled with its addresses' majority ward (etc.),
 *   merged per label and clipped to the boundary.
 * Deterministic: the same input gives the same output.
 */
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { PGlite } from '@electric-sql/pglite';
import { postgis } from '@electric-sql/pglite-postgis';
import { parse } from 'csv-parse';
import {
  BATCH_SERVICE,
  BLACKBOX_SERVICE,
  GROUP_DEFAULTS,
  HAND_ATTRIBUTES,
  HAND_LEVELS,
  PRIVATE_SERVICE,
  TYPE_TO_SERVICE,
  levelFromDays,
  type DemoAttribute,
  type DemoService,
} from './demo-city/catalog';
import { buildRequests, type Case } from './demo-city/requests';

const SRC = process.env.REAL311_DIR ?? path.resolve(__dirname, '../../shared/data/real311');
const OUT = path.resolve(__dirname, '../seeds/demo/boston');
const LAYERS = {
  ward: 'ward',
  council_district: 'city_council_district',
  police_district: 'police_district',
  neighborhood: 'neighborhood',
} as const;
const log = (m: string) => process.stderr.write(`${m}\n`);

interface RealService {
  service_code: string;
  service_name: string;
  description: string;
  keywords: string | null;
  group: string;
  definitions: { service_departments: Array<{ code: string; name: string }> | null };
}
interface RealDefinition {
  service_code: string;
  attributes: Array<Record<string, unknown>>;
  service_level_agreement: { type: string | null; value: number | null };
}

function catalog(slaByType: Map<string, number>): {
  agencies: Array<{ code: string; name: string }>;
  services: DemoService[];
} {
  const real = JSON.parse(
    fs.readFileSync(path.join(SRC, 'boston_open311_services.json'), 'utf8'),
  ) as RealService[];
  const defs = new Map(
    (
      JSON.parse(
        fs.readFileSync(path.join(SRC, 'boston_open311_service_definitions_with_sla.json'), 'utf8'),
      ) as RealDefinition[]
    ).map((d) => [d.service_code, d]),
  );
  const agencies = new Map<string, string>();
  const typeFor = new Map(Object.entries(TYPE_TO_SERVICE).map(([type, code]) => [code, type]));
  const services = real.map((s): DemoService => {
    const dept = s.definitions.service_departments?.[0];
    if (dept) agencies.set(dept.code, dept.name);
    const def = defs.get(s.service_code);
    let sla: DemoService['sla'] = null;
    if (def?.service_level_agreement.type && def.service_level_agreement.value !== null) {
      const unit =
        { Hours: 'hours', 'Business Days': 'business_days', 'Calendar Days': 'calendar_days' }[
          def.service_level_agreement.type
        ] ?? 'business_days';
      sla = { value: Number(def.service_level_agreement.value), unit };
    } else if (def) {
      sla = null; // the real definition says there is none (BOS311GEN)
    } else {
      const days = slaByType.get(typeFor.get(s.service_code) ?? '');
      sla =
        days !== undefined
          ? levelFromDays(days)
          : (HAND_LEVELS[s.service_code] ?? GROUP_DEFAULTS[s.group] ?? null);
    }
    const attributes: DemoAttribute[] = def
      ? def.attributes.map((a, i) => ({
          code: String(a.code),
          variable: a.datatype !== 'informational' && a.variable !== false,
          datatype: (a.datatype === 'informational' ? 'string' : a.datatype) as DemoAttribute['datatype'],
          required: a.datatype !== 'informational' && Boolean(a.required),
          datatype_description: (a.datatype_description as string | null) ?? null,
          order: Number(a.order ?? i + 1),
          description: String(a.description ?? ''),
          values: ((a.values as Array<{ key: string; name: string }> | undefined) ?? []).map((v) => ({
            key: String(v.key),
            name: String(v.name),
          })),
        }))
      : (HAND_ATTRIBUTES[s.service_code] ?? []);
    const keywords = (s.keywords ?? '')
      .split(',')
      .map((k) => k.trim())
      .filter(Boolean);
    if (s.service_code === PRIVATE_SERVICE) keywords.push('private');
    return {
      service_code: s.service_code,
      service_name: s.service_name,
      description: s.description ?? '',
      keywords,
      groups: [s.group],
      type:
        s.service_code === BATCH_SERVICE
          ? 'batch'
          : s.service_code === BLACKBOX_SERVICE
            ? 'blackbox'
            : 'realtime',
      agency_code: dept?.code ?? null,
      sla,
      attributes,
    };
  });
  return {
    agencies: [...agencies]
      .map(([code, name]) => ({ code, name }))
      .sort((a, b) => a.code.localeCompare(b.code)),
    services,
  };
}

function readSlaByType(): Map<string, number> {
  const lines = fs
    .readFileSync(path.join(SRC, 'boston_311_2015_sla_by_type_DERIVED.csv'), 'utf8')
    .trim()
    .split('\n')
    .slice(1);
  const out = new Map<string, number>();
  for (const line of lines) {
    const cols = line.split(',');
    const days = Number(cols[7]);
    if (cols[0] && cols[7] !== '' && Number.isFinite(days) && days > 0) out.set(cols[0], days);
  }
  return out;
}

const PLACEHOLDERS = new Set(['42.3594,-71.0587']);
const inBoston = (lat: number, long: number) =>
  lat > 42.22 && lat < 42.41 && long > -71.2 && long < -70.98 && !PLACEHOLDERS.has(`${lat},${long}`);

async function readCases(): Promise<Case[]> {
  const cases: Case[] = [];
  const parser = fs
    .createReadStream(path.join(SRC, 'boston_311_2015_by_type.csv.gz'))
    .pipe(zlib.createGunzip())
    .pipe(parse({ columns: true, relax_column_count: true }));
  for await (const r of parser as AsyncIterable<Record<string, string>>) {
    const lat = Number(r.LATITUDE);
    const long = Number(r.LONGITUDE);
    if (!inBoston(lat, long)) continue;
    cases.push({
      id: r.CASE_ENQUIRY_ID ?? '',
      type: r.TYPE ?? '',
      open: r.OPEN_DT ?? '',
      closed: r.CLOSED_DT ?? '',
      status: r.CASE_STATUS ?? '',
      closure: r.CLOSURE_REASON ?? '',
      subject: r.SUBJECT ?? '',
      reason: r.REASON ?? '',
      source: r.Source ?? '',
      street: (r.LOCATION_STREET_NAME ?? '').trim().replace(/\s+/g, ' '),
      zip: r.LOCATION_ZIPCODE ?? '',
      propertyId: r.Property_ID ?? '',
      lat,
      long,
      labels: {
        ward: clean('ward', r.ward ?? ''),
        council_district: clean('council_district', r.city_council_district ?? ''),
        police_district: clean('police_district', r.police_district ?? ''),
        neighborhood: clean('neighborhood', r.neighborhood ?? ''),
      },
    });
  }
  return cases;
}

/** The 2015 files spell the same district several ways ("05", "Ward 5"; "Allston" inside "Allston / Brighton"). */
const NEIGHBORHOOD_ALIASES: Record<string, string> = {
  Allston: 'Allston / Brighton',
  Brighton: 'Allston / Brighton',
  'South Boston': 'South Boston / South Boston Waterfront',
  Mattapan: 'Greater Mattapan',
  Boston: '', // a city-wide placeholder, not a neighbourhood
};
function clean(layer: string, raw: string): string {
  const v = raw.trim();
  if (layer === 'ward') {
    const n = /^(?:Ward\s*)?0*(\d+)$/i.exec(v)?.[1];
    return n ? `Ward ${n}` : '';
  }
  if (layer === 'council_district') return v.replace(/\.0$/, '').replace(/^0+/, '');
  if (layer === 'neighborhood') return NEIGHBORHOOD_ALIASES[v] ?? v;
  return v;
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;
const majority = (xs: string[]) => {
  const counts = new Map<string, number>();
  for (const x of xs) if (x) counts.set(x, (counts.get(x) ?? 0) + 1);
  return [...counts].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))[0]?.[0] ?? '';
};

interface Address {
  external_id: string;
  house_number: string;
  street: string;
  zip: string;
  lat: number;
  long: number;
  labels: Record<string, string>;
}

function addresses(cases: Case[]): Address[] {
  const byStreet = new Map<string, Case[]>();
  for (const c of cases) {
    if (!/^\d+[A-Za-z]?(-\d+[A-Za-z]?)? \S/.test(c.street)) continue; // needs a house number and a street
    byStreet.set(c.street, [...(byStreet.get(c.street) ?? []), c]);
  }
  return [...byStreet.entries()]
    .sort((a, b) => a[0].localeCompare(b[0]))
    .map(([street, cs]) => {
      const [house, ...rest] = street.split(' ');
      const zip = majority(cs.map((c) => c.zip)).replace(/\.0$/, '');
      const pid = majority(cs.map((c) => c.propertyId)).replace(/\.0$/, '');
      return {
        external_id: pid || `bos-${Buffer.from(street).toString('base64url').slice(0, 16)}`,
        house_number: house as string,
        street: rest.join(' '),
        zip: zip ? zip.padStart(5, '0') : '',
        lat: Math.round(median(cs.map((c) => c.lat)) * 1e6) / 1e6,
        long: Math.round(median(cs.map((c) => c.long)) * 1e6) / 1e6,
        labels: Object.fromEntries(
          Object.keys(LAYERS).map((l) => [l, majority(cs.map((c) => c.labels[l] ?? ''))]),
        ),
      };
    });
}

const gzipJson = (file: string, value: unknown) =>
  fs.writeFileSync(path.join(OUT, file), zlib.gzipSync(JSON.stringify(value), { level: 9 }));

async function geometry(points: Address[]): Promise<void> {
  const db = await PGlite.create({ extensions: { postgis } });
  await db.exec('CREATE EXTENSION postgis');
  await db.exec(
    'CREATE TABLE pts (id int, geom geometry(Point, 4326), ward text, council_district text, police_district text, neighborhood text)',
  );
  for (let i = 0; i < points.length; i += 1000) {
    const batch = points.slice(i, i + 1000);
    const values = batch.map(
      (_, j) =>
        `($${j * 7 + 1}::int, ST_SetSRID(ST_MakePoint($${j * 7 + 2}::float8, $${j * 7 + 3}::float8), 4326), $${j * 7 + 4}, $${j * 7 + 5}, $${j * 7 + 6}, $${j * 7 + 7})`,
    );
    await db.query(
      `INSERT INTO pts VALUES ${values.join(',')}`,
      batch.flatMap((p, j) => [
        i + j,
        p.long,
        p.lat,
        p.labels.ward,
        p.labels.council_district,
        p.labels.police_district,
        p.labels.neighborhood,
      ]),
    );
  }
  log(`loaded ${points.length} points`);
  // ~150 m grid cells holding addresses; a cell's label per layer is its addresses' majority.
  await db.exec(
    `CREATE TABLE cells AS SELECT ST_SnapToGrid(geom, 0.0018, 0.0013) AS c, array_agg(ward) w, array_agg(council_district) cd, array_agg(police_district) pd, array_agg(neighborhood) n FROM pts GROUP BY 1`,
  );
  await db.exec(
    `CREATE TABLE boundary AS SELECT ST_Multi(ST_SimplifyPreserveTopology(ST_MakePolygon(ST_ExteriorRing((ST_Dump(ST_Union(ST_Buffer(c::geography, 250)::geometry))).geom)), 0.0003)) AS g FROM cells`,
  );
  await db.exec(`CREATE TABLE city AS SELECT ST_Multi(ST_Union(ST_MakeValid(g))) AS g FROM boundary`);
  const b = await db.query<{ g: string; n: number }>(
    'SELECT ST_AsGeoJSON(g, 5) g, ST_NumGeometries(g) n FROM city',
  );
  gzipJson('boundary.geojson.gz', {
    type: 'FeatureCollection',
    features: [
      {
        type: 'Feature',
        properties: { name: 'City of Boston (derived)' },
        geometry: JSON.parse(b.rows[0]?.g as string),
      },
    ],
  });
  log(`boundary: ${b.rows[0]?.n} polygon(s)`);
  await db.exec(
    `CREATE TABLE vor AS SELECT (ST_Dump(ST_VoronoiPolygons(ST_Collect(c), 0, (SELECT ST_Expand(ST_Envelope(g), 0.05) FROM city)))).geom AS v FROM cells`,
  );
  await db.exec('CREATE TABLE labelled AS SELECT v, cells.* FROM vor JOIN cells ON ST_Contains(v, cells.c)');
  const majoritySql = (col: string) =>
    `(SELECT x FROM unnest(${col}) x WHERE x <> '' GROUP BY x ORDER BY count(*) DESC, x LIMIT 1)`;
  for (const [layer, col] of [
    ['ward', 'w'],
    ['council_district', 'cd'],
    ['police_district', 'pd'],
    ['neighborhood', 'n'],
  ] as const) {
    const rows = await db.query<{ name: string; g: string }>(
      `SELECT name, ST_AsGeoJSON(ST_Multi(ST_CollectionExtract(ST_MakeValid(ST_SimplifyPreserveTopology(ST_Intersection(ST_Union(v), (SELECT g FROM city)), 0.0002)), 3)), 5) g
       FROM (SELECT v, ${majoritySql(col)} AS name FROM labelled) t WHERE name IS NOT NULL GROUP BY name ORDER BY name`,
    );
    gzipJson(`districts-${layer}.geojson.gz`, {
      type: 'FeatureCollection',
      features: rows.rows.map((r) => ({
        type: 'Feature',
        properties: { name: r.name },
        geometry: JSON.parse(r.g),
      })),
    });
    log(`${layer}: ${rows.rows.length} districts`);
  }
  await db.close();
}

async function main(): Promise<void> {
  fs.mkdirSync(OUT, { recursive: true });
  const cat = catalog(readSlaByType());
  fs.writeFileSync(path.join(OUT, 'catalog.json'), `${JSON.stringify(cat, null, 1)}\n`);
  fs.writeFileSync(
    path.join(OUT, 'jurisdiction.json'),
    `${JSON.stringify({ id: 'boston', name: 'City of Boston (demo data)', time_zone: 'America/New_York', email: 'demo-311@example.org', phone: '311', website: 'https://www.boston.gov/departments/boston-311' }, null, 1)}\n`,
  );
  log(`catalog: ${cat.services.length} services, ${cat.agencies.length} agencies`);
  const cases = await readCases();
  log(`cases with a usable location: ${cases.length}`);
  const points = addresses(cases);
  const csv = [
    'external_id,house_number,street,unit,zip,lat,long',
    ...points.map((p) =>
      [p.external_id, p.house_number, `"${p.street.replace(/"/g, '""')}"`, '', p.zip, p.lat, p.long].join(
        ',',
      ),
    ),
  ].join('\n');
  fs.writeFileSync(path.join(OUT, 'addresses.csv.gz'), zlib.gzipSync(`${csv}\n`, { level: 9 }));
  log(`addresses: ${points.length}`);
  await geometry(points);
  const requests = buildRequests(cases, new Set(cat.services.map((s) => s.service_code)));
  gzipJson('requests.json.gz', requests);
  log(`requests: ${requests.length} (${requests.filter((r) => r.closed_offset_hours === null).length} open)`);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
