/**
 * Loads a city's geography: the boundary and district layers from GeoJSON, address points from CSV.
 * Each import is one transaction (all-or-nothing: a failed import leaves the previous data in place) and
 * `replace` swaps a layer atomically inside it. Geometry is repaired with ST_MakeValid and reprojected to
 * 4326 from the CRS named in the file (or `srid`). The Boston demo is loaded through this same code.
 */
import type { Knex } from 'knex';
import { normaliseAddress, normaliseStreet } from './address-normalise';
import { setJurisdictionBoundary } from '../catalog';
import { SRID } from './postgis';

export interface ImportReport {
  layer: string;
  accepted: number;
  rejected: Array<{ line: number; reason: string }>;
}

export interface Feature {
  type: 'Feature';
  geometry: { type: string; coordinates: unknown } | null;
  properties: Record<string, unknown> | null;
}

export interface FeatureCollection {
  type: 'FeatureCollection';
  features: Feature[];
  crs?: { properties?: { name?: string } };
}

/** EPSG code from a GeoJSON `crs` member ("EPSG:2249", "urn:ogc:def:crs:EPSG::2249"); 4326 when absent. */
export function sridOf(fc: Pick<FeatureCollection, 'crs'>, fallback = SRID): number {
  const name = fc.crs?.properties?.name;
  if (!name) return fallback;
  if (/CRS84$/i.test(name)) return SRID;
  const m = /EPSG:{1,2}(\d+)$/i.exec(name);
  return m ? Number(m[1]) : fallback;
}

/** SQL for a repaired multipolygon in 4326 from GeoJSON text in `srid`. */
const MULTIPOLYGON_SQL = `ST_Multi(ST_CollectionExtract(ST_MakeValid(ST_Transform(ST_SetSRID(ST_GeomFromGeoJSON(?), ?::int), ${SRID})), 3))`;

export interface ImportOptions {
  srid?: number;
  replace?: boolean;
  onProgress?: (done: number) => void;
}

const isPolygonal = (f: Feature) => f.geometry?.type === 'Polygon' || f.geometry?.type === 'MultiPolygon';

/** The boundary is the union of every polygon in the file. */
export async function importBoundary(
  knex: Knex,
  jurisdictionId: string,
  fc: FeatureCollection,
  opts: ImportOptions = {},
): Promise<ImportReport> {
  const srid = opts.srid ?? sridOf(fc);
  const report: ImportReport = { layer: 'boundary', accepted: 0, rejected: [] };
  const polygons = fc.features.filter((f, i) => {
    if (isPolygonal(f)) return true;
    report.rejected.push({ line: i + 1, reason: `feature ${i + 1} is not a Polygon or MultiPolygon` });
    return false;
  });
  if (polygons.length === 0) throw new Error('The boundary file has no polygon.');
  await knex.transaction(async (trx) => {
    const parts = polygons.map(() => MULTIPOLYGON_SQL).join(', ');
    const params = polygons.flatMap((f) => [JSON.stringify(f.geometry), srid]);
    const boundary = trx.raw(
      `ST_Multi(ST_CollectionExtract(ST_MakeValid(ST_Union(ARRAY[${parts}])), 3))`,
      params,
    );
    if (!(await setJurisdictionBoundary(trx, jurisdictionId, boundary)))
      throw new Error(`Jurisdiction ${jurisdictionId} does not exist.`);
  });
  report.accepted = polygons.length;
  return report;
}

/** A district layer (ward, police_district...): each feature a district named by `nameProperty`. */
export async function importDistricts(
  knex: Knex,
  jurisdictionId: string,
  layer: string,
  fc: FeatureCollection,
  opts: ImportOptions & { nameProperty?: string } = {},
): Promise<ImportReport> {
  const srid = opts.srid ?? sridOf(fc);
  const prop = opts.nameProperty ?? 'name';
  const report: ImportReport = { layer: `districts:${layer}`, accepted: 0, rejected: [] };
  await knex.transaction(async (trx) => {
    if (opts.replace) await trx('districts').where({ jurisdiction_id: jurisdictionId, layer }).delete();
    for (const [i, f] of fc.features.entries()) {
      const name = f.properties?.[prop];
      if (!isPolygonal(f)) {
        report.rejected.push({ line: i + 1, reason: 'not a Polygon or MultiPolygon' });
      } else if (typeof name !== 'string' && typeof name !== 'number') {
        report.rejected.push({ line: i + 1, reason: `no "${prop}" property` });
      } else {
        const inserted = await trx.raw(
          `INSERT INTO districts (jurisdiction_id, layer, name, geom)
           SELECT ?, ?, ?, g FROM (SELECT ${MULTIPOLYGON_SQL} AS g) repaired WHERE NOT ST_IsEmpty(g)
           ON CONFLICT (jurisdiction_id, layer, name) DO UPDATE SET geom = EXCLUDED.geom RETURNING id`,
          [jurisdictionId, layer, String(name), JSON.stringify(f.geometry), srid],
        );
        if (inserted.rows.length === 0)
          report.rejected.push({ line: i + 1, reason: 'the polygon is empty once repaired' });
        else {
          report.accepted += 1;
          opts.onProgress?.(report.accepted);
        }
      }
    }
    // An import with nothing usable is refused as a whole, so it can never empty a layer.
    if (report.accepted === 0)
      throw new Error(`no usable polygon in the file (${report.rejected.length} rejected)`);
  });
  return report;
}

export interface AddressRecord {
  externalId?: string | null;
  houseNumber?: string | null;
  street: string;
  unit?: string | null;
  zip?: string | null;
  lat: number;
  long: number;
}

const BATCH = 5000;

/**
 * Address points from any async source of records (a streamed CSV), inserted in batches of 5,000 so
 * memory stays flat. Each batch is one INSERT ... SELECT FROM json_to_recordset() of a single JSON
 * parameter rather than a VALUES list of 11 parameters a row (55,000 placeholders a batch for the
 * database to parse and bind; bench/geo-scale.ts). `records` yields [lineNumber, record | rejection reason].
 */
export async function importAddresses(
  knex: Knex,
  jurisdictionId: string,
  records: AsyncIterable<[number, AddressRecord | string]>,
  opts: ImportOptions = {},
): Promise<ImportReport> {
  const srid = opts.srid ?? SRID;
  const report: ImportReport = { layer: 'addresses', accepted: 0, rejected: [] };
  await knex.transaction(async (trx) => {
    // The trigram index takes new keys into its pending list and merges the list into the index in
    // bulk; more memory for the merge and a longer list make fewer, cheaper merges (this transaction only).
    await trx.raw("SET LOCAL work_mem = '64MB'");
    await trx.raw("SET LOCAL gin_pending_list_limit = '16MB'");
    if (opts.replace) await trx('address_points').where('jurisdiction_id', jurisdictionId).delete();
    let batch: AddressRecord[] = [];
    // One batch is written while the next is read and normalised: the two run on different processes
    // (and cores), where a strict alternation left each idle half of the time. One query at a time.
    let inFlight: Promise<void> = Promise.resolve();
    const flush = async () => {
      if (batch.length === 0) return;
      const rows = batch.map((a) => {
        const display = [a.houseNumber, a.street].filter(Boolean).join(' ');
        return {
          e: a.externalId ?? null,
          h: a.houseNumber ?? null,
          s: a.street,
          u: a.unit ?? null,
          z: a.zip ?? null,
          a: display,
          k: normaliseAddress(display),
          x: a.long,
          y: a.lat,
        };
      });
      batch = [];
      const json = JSON.stringify(rows);
      await inFlight;
      inFlight = trx
        .raw(
          `INSERT INTO address_points (jurisdiction_id, external_id, house_number, street, unit, zip, address, norm_key, location)
           SELECT ?, e, h, s, u, z, a, k, ST_Transform(ST_SetSRID(ST_MakePoint(x, y), ?::int), ${SRID})::geography
           FROM json_to_recordset(?::json)
             AS t(e text, h text, s text, u text, z text, a text, k text, x float8, y float8)`,
          [jurisdictionId, srid, json],
        )
        .then(() => {
          report.accepted += rows.length;
          opts.onProgress?.(report.accepted);
        });
      // A failure is thrown where the batch is awaited (the next flush or the end), not left unhandled.
      inFlight.catch(() => undefined);
    };
    for await (const [line, rec] of records) {
      if (typeof rec === 'string') report.rejected.push({ line, reason: rec });
      else {
        batch.push(rec);
        if (batch.length >= BATCH) await flush();
      }
    }
    await flush();
    await inFlight;
    if (report.accepted === 0)
      throw new Error(`no usable address in the file (${report.rejected.length} rejected)`);
    await refreshStreets(trx, jurisdictionId);
  });
  // Fresh statistics for the planner: the embedded database has no autovacuum, so after a large import
  // it kept planning for the old row count (reverse lookups 35 ms at 500,000 points); PostgreSQL's
  // autovacuum would get there within a minute or so.
  await knex.raw('ANALYZE address_points');
  return report;
}

/** address_streets: the distinct street keys of a jurisdiction's points, rebuilt after each import. */
async function refreshStreets(trx: Knex.Transaction, jurisdictionId: string): Promise<void> {
  await trx.raw('DELETE FROM address_streets WHERE jurisdiction_id = ?', [jurisdictionId]);
  await trx.raw(
    `INSERT INTO address_streets (jurisdiction_id, street_key, points)
     SELECT jurisdiction_id, street_key, count(*) FROM address_points
     WHERE jurisdiction_id = ? AND street_key <> '' GROUP BY jurisdiction_id, street_key`,
    [jurisdictionId],
  );
}

export interface IntersectionRecord {
  externalId?: string | null;
  streetA: string;
  streetB: string;
  zip?: string | null;
  lat: number;
  long: number;
}

/**
 * A city's intersections layer (issue #17): points with two street names, e.g. the nodes of its street
 * centreline. Street names are normalised as addresses' are and stored in order (street_a < street_b),
 * so "A & B" and "B & A" find the same row. One transaction; `replace` swaps the layer.
 */
export async function importIntersections(
  knex: Knex,
  jurisdictionId: string,
  records: AsyncIterable<[number, IntersectionRecord | string]>,
  opts: ImportOptions = {},
): Promise<ImportReport> {
  const srid = opts.srid ?? SRID;
  const report: ImportReport = { layer: 'intersections', accepted: 0, rejected: [] };
  await knex.transaction(async (trx) => {
    if (opts.replace) await trx('intersections').where('jurisdiction_id', jurisdictionId).delete();
    let batch: Array<Record<string, unknown>> = [];
    const flush = async () => {
      if (batch.length === 0) return;
      const json = JSON.stringify(batch);
      const rows = batch.length;
      batch = [];
      await trx.raw(
        `INSERT INTO intersections (jurisdiction_id, external_id, street_a, street_b, name, zip, location)
         SELECT ?, e, a, b, n, z, ST_Transform(ST_SetSRID(ST_MakePoint(x, y), ?::int), ${SRID})::geography
         FROM json_to_recordset(?::json) AS t(e text, a text, b text, n text, z text, x float8, y float8)`,
        [jurisdictionId, srid, json],
      );
      report.accepted += rows;
      opts.onProgress?.(report.accepted);
    };
    for await (const [line, rec] of records) {
      if (typeof rec === 'string') {
        report.rejected.push({ line, reason: rec });
        continue;
      }
      const a = normaliseStreet(rec.streetA);
      const b = normaliseStreet(rec.streetB);
      if (a === '' || b === '' || a === b) {
        report.rejected.push({ line, reason: 'two different street names are needed' });
        continue;
      }
      const [s1, s2] = a < b ? [a, b] : [b, a];
      batch.push({
        e: rec.externalId ?? null,
        a: s1,
        b: s2,
        n: `${rec.streetA.trim()} & ${rec.streetB.trim()}`,
        z: rec.zip ?? null,
        x: rec.long,
        y: rec.lat,
      });
      if (batch.length >= BATCH) await flush();
    }
    await flush();
    if (report.accepted === 0)
      throw new Error(`no usable intersection in the file (${report.rejected.length} rejected)`);
  });
  await knex.raw('ANALYZE intersections');
  return report;
}
