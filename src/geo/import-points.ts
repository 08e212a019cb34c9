/**
 * Address points and intersections from any async source of records (a streamed CSV or GeoJSON),
 * inserted in batches of 5,000 so memory stays flat. Each batch is one statement over a single JSON
 * parameter (json_to_recordset) rather than a VALUES list of 11 parameters a row (55,000 placeholders a
 * batch for the database to parse and bind; bench/geo-scale.ts). The same statement rejects, by line,
 * the points out of the WGS84 range once reprojected and those outside the jurisdiction's boundary (a
 * New York point is no Boston address); with no boundary imported yet every point is taken (runImport
 * warns). `records` yields [lineNumber, record | rejection reason].
 */
import type { Knex } from 'knex';
import { normaliseAddress, normaliseStreet } from './address-normalise';
import { runImport, type ImportOptions, type ImportReport } from './import-run';
import { SRID } from './postgis';

export interface AddressRecord {
  externalId?: string | null;
  houseNumber?: string | null;
  street: string;
  unit?: string | null;
  zip?: string | null;
  lat: number;
  long: number;
}

export interface IntersectionRecord {
  externalId?: string | null;
  streetA: string;
  streetB: string;
  zip?: string | null;
  lat: number;
  long: number;
}

const BATCH = 5000;

/**
 * The statement that inserts one batch: `points` is a SELECT of the batch's columns with the point `g`
 * (4326 geometry) and its line `l`; the rows that pass are inserted with `insert`, the others come back
 * as [{line, reason}] with the number inserted.
 */
function checkedInsert(points: string, insert: string): string {
  return `WITH p AS (${points}),
    c AS (
      SELECT p.*, CASE
        WHEN g IS NULL OR NOT (abs(ST_X(g)) <= 180 AND abs(ST_Y(g)) <= 90) THEN 'coordinates out of range'
        WHEN j.boundary IS NOT NULL AND NOT ST_Intersects(j.boundary, g) THEN ?
      END AS why
      FROM p CROSS JOIN (SELECT boundary FROM jurisdictions WHERE id = ?) j
    ),
    ins AS (${insert} FROM c WHERE why IS NULL RETURNING 1)
    SELECT (SELECT count(*) FROM ins)::int AS inserted,
      COALESCE((SELECT json_agg(json_build_object('line', l, 'reason', why)) FROM c WHERE why IS NOT NULL), '[]'::json) AS rejects`;
}

const pointSql = `ST_Transform(ST_SetSRID(ST_MakePoint(x, y), ?::int), ${SRID}) AS g`;

/**
 * Reads `records`, batching what the reader accepted; one batch is written while the next is read and
 * normalised (the two run on different processes and cores), one query at a time.
 */
async function writeBatches<R>(
  records: AsyncIterable<[number, R | string]>,
  report: ImportReport,
  opts: ImportOptions,
  toRow: (line: number, rec: R) => Record<string, unknown> | string,
  write: (json: string) => Promise<{ inserted: number; rejects: Array<{ line: number; reason: string }> }>,
): Promise<void> {
  let batch: Array<Record<string, unknown>> = [];
  let inFlight: Promise<void> = Promise.resolve();
  const flush = async () => {
    if (batch.length === 0) return;
    const json = JSON.stringify(batch);
    batch = [];
    await inFlight;
    inFlight = write(json).then(({ inserted, rejects }) => {
      report.accepted += inserted;
      report.rejected.push(...rejects);
    });
    // A failure is thrown where the batch is awaited (the next flush or the end), not left unhandled.
    inFlight.catch(() => undefined);
  };
  let read = 0;
  for await (const [line, rec] of records) {
    opts.onProgress?.(++read);
    const row = typeof rec === 'string' ? rec : toRow(line, rec);
    if (typeof row === 'string') report.rejected.push({ line, reason: row });
    else {
      batch.push(row);
      if (batch.length >= BATCH) await flush();
    }
  }
  await flush();
  await inFlight;
}

const outside = (jurisdictionId: string) => `outside the boundary of ${jurisdictionId}`;

export async function importAddresses(
  knex: Knex,
  jurisdictionId: string,
  records: AsyncIterable<[number, AddressRecord | string]>,
  opts: ImportOptions = {},
): Promise<ImportReport> {
  const srid = opts.srid ?? SRID;
  const spec = { kind: 'addresses' as const };
  const report = await runImport(knex, jurisdictionId, spec, { ...opts, srid }, async (trx, report) => {
    // The trigram index takes new keys into its pending list and merges the list into the index in
    // bulk; more memory for the merge and a longer list make fewer, cheaper merges (this transaction only).
    await trx.raw("SET LOCAL work_mem = '64MB'");
    await trx.raw("SET LOCAL gin_pending_list_limit = '16MB'");
    const sql = checkedInsert(
      `SELECT l, e, h, s, u, z, a, k, ${pointSql}
       FROM json_to_recordset(?::json) AS t(l int, e text, h text, s text, u text, z text, a text, k text, x float8, y float8)`,
      `INSERT INTO address_points (jurisdiction_id, external_id, house_number, street, unit, zip, address, norm_key, location)
       SELECT ?, e, h, s, u, z, a, k, g::geography`,
    );
    await writeBatches(
      records,
      report,
      opts,
      (line, a) => {
        const display = [a.houseNumber, a.street].filter(Boolean).join(' ');
        return {
          l: line,
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
      },
      async (json) =>
        (await trx.raw(sql, [srid, json, outside(jurisdictionId), jurisdictionId, jurisdictionId])).rows[0],
    );
    await refreshStreets(trx, jurisdictionId);
  });
  // Fresh statistics for the planner: the embedded database has no autovacuum, so after a large import
  // it kept planning for the old row count (reverse lookups 35 ms at 500,000 points); PostgreSQL's
  // autovacuum would get there within a minute or so.
  if (report.written) await knex.raw('ANALYZE address_points');
  return report;
}

/**
 * address_streets (the distinct street keys of a jurisdiction's points) and street_cells (the grid
 * cells each street has points in: intersection-geocode.ts), rebuilt after each import.
 */
async function refreshStreets(trx: Knex.Transaction, jurisdictionId: string): Promise<void> {
  await trx.raw('DELETE FROM address_streets WHERE jurisdiction_id = ?', [jurisdictionId]);
  await trx.raw(
    `INSERT INTO address_streets (jurisdiction_id, street_key, points)
     SELECT jurisdiction_id, street_key, count(*) FROM address_points
     WHERE jurisdiction_id = ? AND street_key <> '' GROUP BY jurisdiction_id, street_key`,
    [jurisdictionId],
  );
  await trx.raw('DELETE FROM street_cells WHERE jurisdiction_id = ?', [jurisdictionId]);
  await trx.raw(
    `INSERT INTO street_cells (jurisdiction_id, street_key, cell_y, cell_x)
     SELECT DISTINCT jurisdiction_id, street_key, cell_y, cell_x FROM address_points
     WHERE jurisdiction_id = ? AND street_key <> ''`,
    [jurisdictionId],
  );
}

/**
 * A city's intersections layer (issue #17): points with two street names, e.g. the nodes of its street
 * centreline. Street names are normalised as addresses' are and stored in order (street_a < street_b),
 * so "A & B" and "B & A" find the same row.
 */
export async function importIntersections(
  knex: Knex,
  jurisdictionId: string,
  records: AsyncIterable<[number, IntersectionRecord | string]>,
  opts: ImportOptions = {},
): Promise<ImportReport> {
  const srid = opts.srid ?? SRID;
  const spec = { kind: 'intersections' as const };
  const report = await runImport(knex, jurisdictionId, spec, { ...opts, srid }, async (trx, report) => {
    const sql = checkedInsert(
      `SELECT l, e, a, b, n, z, ${pointSql}
       FROM json_to_recordset(?::json) AS t(l int, e text, a text, b text, n text, z text, x float8, y float8)`,
      `INSERT INTO intersections (jurisdiction_id, external_id, street_a, street_b, name, zip, location)
       SELECT ?, e, a, b, n, z, g::geography`,
    );
    await writeBatches(
      records,
      report,
      opts,
      (line, rec) => {
        const a = normaliseStreet(rec.streetA);
        const b = normaliseStreet(rec.streetB);
        if (a === '' || b === '' || a === b) return 'two different street names are needed';
        const [s1, s2] = a < b ? [a, b] : [b, a];
        return {
          l: line,
          e: rec.externalId ?? null,
          a: s1,
          b: s2,
          n: `${rec.streetA.trim()} & ${rec.streetB.trim()}`,
          z: rec.zip ?? null,
          x: rec.long,
          y: rec.lat,
        };
      },
      async (json) =>
        (await trx.raw(sql, [srid, json, outside(jurisdictionId), jurisdictionId, jurisdictionId])).rows[0],
    );
  });
  if (report.written) await knex.raw('ANALYZE intersections');
  return report;
}
