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
import { badRequest } from '../core';
import { runImport, type ImportOptions, type ImportReport, type PointChanges } from './import-run';
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

/** Address points of the same address (number, street, unit, zip) this close are one point (a refresh). */
export const SAME_PLACE_M = 50;

/** A street value that is a whole address ("3016 THORNDALE AVE, BC"): a house number, a space, a word. */
const NUMBERED = /^\d+[A-Z]?(?:-\d+[A-Z]?)?\s+[A-Z]/i;

/** The unit as matched: upper case, "#" and spaces dropped ("Apt 3", "APT 3", "#3" stay different). */
export const unitKey = (unit: string | null | undefined): string =>
  (unit ?? '')
    .toUpperCase()
    .replace(/[#\s]+/g, ' ')
    .trim();

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
    // The file's points go to a temporary table first, then are merged into address_points in a few
    // statements (mergePoints): matched points keep their ids, so requests and apps keep their links.
    await trx.raw(
      `CREATE TEMPORARY TABLE import_points (q int PRIMARY KEY, l int, e text, h text, s text, u text, uk text,
         z text, a text, k text, g geography(Point, 4326), id bigint) ON COMMIT DROP`,
    );
    const sql = checkedInsert(
      `SELECT q, l, e, h, s, u, uk, z, a, k, ${pointSql}
       FROM json_to_recordset(?::json) AS t(q int, l int, e text, h text, s text, u text, uk text, z text, a text, k text, x float8, y float8)`,
      `INSERT INTO import_points (q, l, e, h, s, u, uk, z, a, k, g)
       SELECT q, l, e, h, s, u, uk, z, a, k, g::geography`,
    );
    let q = 0;
    const numbered = { street: 0, houseNumber: 0, example: '' };
    await writeBatches(
      records,
      report,
      opts,
      (line, a) => {
        const display = [a.houseNumber, a.street].filter(Boolean).join(' ');
        if (a.houseNumber) numbered.houseNumber += 1;
        else if (NUMBERED.test(a.street)) {
          numbered.street += 1;
          numbered.example ||= a.street;
        }
        return {
          q: ++q,
          l: line,
          e: a.externalId ?? null,
          h: a.houseNumber ?? null,
          s: a.street,
          u: a.unit ?? null,
          uk: unitKey(a.unit),
          z: a.zip ?? null,
          a: display,
          k: normaliseAddress(display),
          x: a.long,
          y: a.lat,
        };
      },
      async (json) => (await trx.raw(sql, [srid, json, outside(jurisdictionId), jurisdictionId])).rows[0],
    );
    if (numbered.houseNumber === 0 && numbered.street > 0 && numbered.street * 2 > q)
      throw badRequest(wholeAddresses(numbered.street, q, numbered.example));
    if (report.accepted === 0) return; // runImport refuses it
    report.points = await mergePoints(trx, jurisdictionId, Boolean(opts.replace));
    await refreshStreets(trx, jurisdictionId);
  });
  // Fresh statistics for the planner: the embedded database has no autovacuum, so after a large import
  // it kept planning for the old row count (reverse lookups 35 ms at 500,000 points); PostgreSQL's
  // autovacuum would get there within a minute or so.
  if (report.written) await knex.raw('ANALYZE address_points');
  return report;
}

/** Finding 15: a street column holding whole one-line addresses is refused, never stored as streets. */
function wholeAddresses(numbered: number, rows: number, example: string): string {
  const n = (x: number) => x.toLocaleString('en-US');
  return (
    `${n(numbered)} of ${n(rows)} street values start with a house number ("${example.slice(0, 60)}") and no house ` +
    'number was read, so the street column holds whole addresses; nothing was changed. Name it as a one-line ' +
    'address column instead (--col-address COLUMN, over HTTP col_address=COLUMN): the number, street, unit and ' +
    'zip are then read from it as the geocoder reads an address. Or name the house number column (--col-house-number).'
  );
}

/**
 * Merges the file's points (import_points) into the jurisdiction's address_points, set-based:
 * 1. a point with an `external_id` is the point in place with that id (the n-th of a repeated id the
 *    n-th in place, by id);
 * 2. any other point (and one whose `external_id` is new) is the nearest unmatched point in place with
 *    the same normalised address, unit and zip (a missing zip matches any) within SAME_PLACE_M metres,
 *    one that has no `external_id` of its own when the file's point has one; pairs are taken nearest
 *    first, in rounds until none is left (a round per copy of one address, so one or two);
 * 3. matched points are updated in place where anything differs (same id), the file's others inserted;
 *    with `replace`, the points in place that matched nothing are deleted, and the requests linked to
 *    them lose the link (the foreign key sets it to null; they keep their own location and address).
 */
/** The `n` a counting statement returns (the row counts of the two clients differ: pg and PGlite). */
async function changed(trx: Knex.Transaction, sql: string, bindings: Knex.RawBinding[]): Promise<number> {
  return Number((await trx.raw(sql, bindings)).rows[0]?.n ?? 0);
}

async function mergePoints(
  trx: Knex.Transaction,
  jurisdictionId: string,
  replace: boolean,
): Promise<PointChanges> {
  await trx.raw('ANALYZE import_points');
  await trx.raw(
    `UPDATE import_points i SET id = m.id FROM (
       SELECT f.q, p.id FROM
         (SELECT q, e, row_number() OVER (PARTITION BY e ORDER BY q) AS n FROM import_points WHERE e IS NOT NULL) f
         JOIN (SELECT id, external_id, row_number() OVER (PARTITION BY external_id ORDER BY id) AS n
               FROM address_points WHERE jurisdiction_id = ? AND external_id IS NOT NULL) p
         ON p.external_id = f.e AND p.n = f.n) m
     WHERE i.q = m.q`,
    [jurisdictionId],
  );
  await trx.raw('CREATE INDEX ON import_points (id)');
  const round = `WITH c AS (
      SELECT DISTINCT ON (i.q) i.q, p.id, ST_Distance(p.location, i.g) AS d
      FROM import_points i JOIN address_points p
        ON p.jurisdiction_id = ? AND p.norm_key = i.k
        -- A distance test, not ST_DWithin: the join is driven by the address key, and ST_DWithin's index
        -- operator made PostGIS estimate this join's selectivity, which failed ("invalid function
        -- selectivity") on a new city's first import after its boundary.
        AND ST_Distance(p.location, i.g) <= ${SAME_PLACE_M}
      WHERE i.id IS NULL
        AND upper(regexp_replace(trim(coalesce(p.unit, '')), '[#[:space:]]+', ' ', 'g')) = i.uk
        AND (p.zip IS NULL OR i.z IS NULL OR left(p.zip, 5) = left(i.z, 5))
        AND (i.e IS NULL OR p.external_id IS NULL)
        AND NOT EXISTS (SELECT 1 FROM import_points t WHERE t.id = p.id)
      ORDER BY i.q, d, p.id
    ), best AS (SELECT DISTINCT ON (id) q, id FROM c ORDER BY id, d, q),
    w AS (UPDATE import_points i SET id = best.id FROM best WHERE i.q = best.q RETURNING 1)
    SELECT count(*)::int AS n FROM w`;
  while ((await changed(trx, round, [jurisdictionId])) > 0);
  const [counts] = (
    await trx.raw(
      `SELECT count(*) FILTER (WHERE p.location::geometry ~= i.g::geometry)::int AS kept,
              count(*) FILTER (WHERE NOT p.location::geometry ~= i.g::geometry)::int AS moved
       FROM import_points i JOIN address_points p ON p.id = i.id`,
    )
  ).rows as Array<{ kept: number; moved: number }>;
  await trx.raw(
    `UPDATE address_points p SET external_id = i.e, house_number = i.h, street = i.s, unit = i.u, zip = i.z,
       address = i.a, norm_key = i.k, location = i.g
     FROM import_points i
     WHERE i.id = p.id AND (p.external_id IS DISTINCT FROM i.e OR p.house_number IS DISTINCT FROM i.h
       OR p.street IS DISTINCT FROM i.s OR p.unit IS DISTINCT FROM i.u OR p.zip IS DISTINCT FROM i.z
       OR p.address IS DISTINCT FROM i.a OR p.norm_key IS DISTINCT FROM i.k
       OR NOT p.location::geometry ~= i.g::geometry)`,
  );
  let removed = 0;
  let requestsUnlinked = 0;
  if (replace) {
    const unmatched = `FROM address_points p WHERE p.jurisdiction_id = ?
      AND NOT EXISTS (SELECT 1 FROM import_points i WHERE i.id = p.id)`;
    // Read across modules (allowed): the requests the foreign key will unlink, for the summary.
    requestsUnlinked = await changed(
      trx,
      `SELECT count(*)::int AS n FROM service_requests r WHERE r.address_id IN (SELECT p.id ${unmatched})`,
      [jurisdictionId],
    );
    removed = await changed(
      trx,
      `WITH w AS (DELETE ${unmatched} RETURNING 1) SELECT count(*)::int AS n FROM w`,
      [jurisdictionId],
    );
  }
  const added = await changed(
    trx,
    `WITH w AS (INSERT INTO address_points (jurisdiction_id, external_id, house_number, street, unit, zip, address, norm_key, location)
       SELECT ?, e, h, s, u, z, a, k, g FROM import_points WHERE id IS NULL ORDER BY q RETURNING 1)
     SELECT count(*)::int AS n FROM w`,
    [jurisdictionId],
  );
  return { kept: counts?.kept ?? 0, moved: counts?.moved ?? 0, added, removed, requestsUnlinked };
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
