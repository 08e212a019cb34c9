/**
 * Reads against the city's own geography: boundary, districts, address points. Each returns plain data;
 * intake decides what a miss means. Called outside the write transaction (the embedded database has a
 * single connection, so a read inside a pending transaction from the pool would wait forever).
 */
import type { Knex } from 'knex';
import { geographyPoint, latOf, longOf, SRID, type LatLong } from './postgis';
import { hotStatement, runHot } from '../db';

export interface AddressMatch {
  /** The address point's id; null for a place without one (interpolated, an intersection). */
  id: string | null;
  address: string;
  zip: string | null;
  lat: number;
  long: number;
  distanceMetres?: number;
  similarity?: number;
  /** How the point was found (issue #17) and its estimated accuracy in metres. */
  match?: 'address_point' | 'interpolated' | 'intersection' | 'reverse' | 'client_point';
  accuracyM?: number;
}

export interface PointFacts {
  inside: boolean;
  districts: Record<string, string>;
  nearest: AddressMatch | null;
}

/**
 * pointFacts' SQL (`?` placeholders), with the nearest address (`withNearest`) or without: one row, the
 * columns `inside`, `districts`, and the nearest address's `id`, `address`, `zip`, `lat`, `long`, `distance`.
 */
export function pointFactsSql(withNearest: boolean): string {
  const geom = `ST_SetSRID(ST_MakePoint(?::float8, ?::float8), ${SRID})`;
  const nearest = withNearest
    ? `SELECT a.id::text AS id, a.address, a.zip, ${latOf('a.location')} AS lat, ${longOf('a.location')} AS long,
           ST_Distance(a.location, q.geog) AS distance
         FROM address_points a
         WHERE a.jurisdiction_id = j.id AND ST_DWithin(a.location, q.geog, ?::float8)
         ORDER BY a.location <-> q.geog LIMIT 1`
    : 'SELECT NULL::text AS id, NULL::text AS address, NULL::text AS zip, NULL::float8 AS lat, NULL::float8 AS long, NULL::float8 AS distance';
  return `SELECT
         CASE WHEN j.boundary IS NULL OR ST_Intersects(j.boundary, q.geom) THEN true
              WHEN ?::float8 > 0 THEN ST_DWithin(j.boundary::geography, q.geog, ?::float8)
              ELSE false END AS inside,
         (SELECT coalesce(jsonb_object_agg(d.layer, d.name), '{}'::jsonb) FROM (
            SELECT DISTINCT ON (layer) layer, name FROM districts
            WHERE jurisdiction_id = j.id AND ST_Intersects(geom, q.geom) ORDER BY layer, name) d) AS districts,
         n.id, n.address, n.zip, n.lat, n.long, n.distance
       FROM (SELECT ${geom} AS geom, ${geom}::geography AS geog) q
       JOIN jurisdictions j ON j.id = ?
       LEFT JOIN LATERAL (${nearest}) n ON true`;
}

/** The parameters of `pointFactsSql(nearestWithinMetres !== null)`, in order. */
export function pointFactsBindings(
  jurisdictionId: string,
  p: LatLong,
  toleranceMetres: number,
  nearestWithinMetres: number | null,
): unknown[] {
  return [
    toleranceMetres,
    toleranceMetres,
    p.long,
    p.lat,
    p.long,
    p.lat,
    jurisdictionId,
    ...(nearestWithinMetres === null ? [] : [nearestWithinMetres]),
  ];
}

/** PointFacts from the row of `pointFactsSql` (undefined: no such jurisdiction). */
export function readPointFacts(row: Record<string, unknown> | undefined): PointFacts {
  const r = row as (AddressRow & { inside: boolean; districts: Record<string, string> | string }) | undefined;
  if (!r) return { inside: false, districts: {}, nearest: null };
  const districts = typeof r.districts === 'string' ? JSON.parse(r.districts) : r.districts;
  return {
    inside: r.inside === true,
    districts: districts as Record<string, string>,
    nearest: r.id === null || r.id === undefined ? null : toMatch({ ...r, sim: undefined }),
  };
}

// Fixed texts, worked out once: prepared once per connection and run straight on pg (issue #21).
const POINT_FACTS = hotStatement(pointFactsSql(false));
const POINT_FACTS_NEAREST = hotStatement(pointFactsSql(true));

/**
 * Everything intake needs to know about a point in one round trip: inside the service area (or within
 * `toleranceMetres` of it), its district in each layer, and (when `nearestWithinMetres` is given) the
 * nearest address point within that distance (the same as `nearestAddresses`). The tolerance test on
 * the boundary only runs when the point is not inside; a district layer's first district by name wins.
 */
export async function pointFacts(
  knex: Knex,
  jurisdictionId: string,
  p: LatLong,
  toleranceMetres: number,
  nearestWithinMetres: number | null,
): Promise<PointFacts> {
  const rows = await runHot(
    knex,
    nearestWithinMetres === null ? POINT_FACTS : POINT_FACTS_NEAREST,
    pointFactsBindings(jurisdictionId, p, toleranceMetres, nearestWithinMetres),
  );
  return readPointFacts(rows[0] as Record<string, unknown> | undefined);
}

const addressColumns = (knex: Knex) => [
  knex.raw('id::text AS id'),
  'address',
  'zip',
  knex.raw(`${latOf('location')} AS lat`),
  knex.raw(`${longOf('location')} AS long`),
];

type AddressRow = {
  id: string;
  address: string;
  zip: string | null;
  lat: number;
  long: number;
  distance?: number;
  sim?: number;
};
const toMatch = (r: AddressRow): AddressMatch => ({
  id: r.id,
  address: r.address,
  zip: r.zip,
  lat: Number(r.lat),
  long: Number(r.long),
  ...(r.distance !== undefined ? { distanceMetres: Number(r.distance) } : {}),
  ...(r.sim !== undefined ? { similarity: Number(r.sim) } : {}),
});

/** Nearest address points within `maxMetres` (KNN on the GiST index), nearest first. */
export async function nearestAddresses(
  knex: Knex,
  jurisdictionId: string,
  p: LatLong,
  maxMetres: number,
  limit = 1,
): Promise<AddressMatch[]> {
  const point = geographyPoint(knex, p);
  const rows = (await knex('address_points')
    .where('jurisdiction_id', jurisdictionId)
    .whereRaw('ST_DWithin(location, ?, ?)', [point, maxMetres])
    .select(...addressColumns(knex), knex.raw('ST_Distance(location, ?) AS distance', [point]))
    .orderByRaw('location <-> ?', [point])
    .limit(limit)) as AddressRow[];
  return rows.map(toMatch);
}

export async function addressById(
  knex: Knex,
  jurisdictionId: string,
  id: string,
): Promise<AddressMatch | null> {
  if (!/^\d{1,18}$/.test(id)) return null;
  const row = (await knex('address_points')
    .where({ jurisdiction_id: jurisdictionId, id })
    .first(...addressColumns(knex))) as AddressRow | undefined;
  return row ? toMatch(row) : null;
}

/** Address points whose normalised key equals `key` exactly. */
export async function addressesByKey(
  knex: Knex,
  jurisdictionId: string,
  key: string,
): Promise<AddressMatch[]> {
  const rows = (await knex('address_points')
    .where({ jurisdiction_id: jurisdictionId, norm_key: key })
    .select(...addressColumns(knex))
    .orderBy('id')
    .limit(5)) as AddressRow[];
  return rows.map(toMatch);
}

/** pg_trgm's default similarity threshold, the one its `%` operator applies. */
export const TRIGRAM_THRESHOLD = 0.3;

/** The house number that starts a normalised key ("29A" of "29A HEREFORD ST"), or null. */
export const houseNumberOfKey = (key: string): string | null =>
  /^(\d[\dA-Z/-]*)(?:\s|$)/.exec(key)?.[1] ?? null;

/** The SQL for "the key's first word is `houseNumber`", served by address_points_house_number_key. */
export const HOUSE_NUMBER_SQL = "split_part(norm_key, ' ', 1) = ?";

/**
 * Trigram candidates for a normalised key, most similar first. With `houseNumber`, only the points whose
 * key starts with that number: at 500,000 points `norm_key % key` alone matches tens of thousands of rows
 * (every number on the street) and takes ~300 ms, where one number's few thousand points take ~2 ms
 * (bench/geo-scale.ts). The threshold is then applied by `similarity()`, so that the planner narrows by
 * number on its index rather than combining it with the trigram index.
 */
export async function similarAddresses(
  knex: Knex,
  jurisdictionId: string,
  key: string,
  limit = 10,
  houseNumber: string | null = null,
): Promise<AddressMatch[]> {
  const q = knex('address_points').where('jurisdiction_id', jurisdictionId);
  if (houseNumber !== null)
    q.whereRaw(HOUSE_NUMBER_SQL, [houseNumber]).whereRaw('similarity(norm_key, ?) >= ?', [
      key,
      TRIGRAM_THRESHOLD,
    ]);
  else q.whereRaw('norm_key % ?', [key]);
  const rows = (await q
    .select(...addressColumns(knex), knex.raw('similarity(norm_key, ?) AS sim', [key]))
    .orderByRaw('norm_key <-> ?', [key])
    .limit(limit)) as AddressRow[];
  return rows.map(toMatch);
}
