/**
 * All PostGIS expressions built in one place, always with bound parameters. Points are WGS84
 * (SRID 4326) and ST_MakePoint takes (longitude, latitude): the classic bug lives here, once.
 */
import type { Knex } from 'knex';

export const SRID = 4326;

export interface LatLong {
  lat: number;
  long: number;
}

/** A geography point for inserts and distance queries. */
export function geographyPoint(knex: Knex, p: LatLong): Knex.Raw {
  return knex.raw(`ST_SetSRID(ST_MakePoint(?::float8, ?::float8), ${SRID})::geography`, [p.long, p.lat]);
}

/** A geometry point for tests against polygons (boundaries, districts). */
export function geometryPoint(knex: Knex, p: LatLong): Knex.Raw {
  return knex.raw(`ST_SetSRID(ST_MakePoint(?::float8, ?::float8), ${SRID})`, [p.long, p.lat]);
}

export interface Bbox {
  minLong: number;
  minLat: number;
  maxLong: number;
  maxLat: number;
}

const envelope = (knex: Knex, b: Bbox) =>
  knex.raw(`ST_MakeEnvelope(?::float8, ?::float8, ?::float8, ?::float8, ${SRID})`, [
    b.minLong,
    b.minLat,
    b.maxLong,
    b.maxLat,
  ]);

/** Boxes up to this size get the GiST prefilter; larger ones cover so much that a scan is as good. */
const PREFILTER_MAX_DEGREES = 90;
const PREFILTER_MAX_LAT = 85;
/** Margin for the prefilter: a 0.5° great-circle edge strays < 0.0003° from its line of latitude. */
const MARGIN = 0.001;

/** Whether withinBbox tests the box through the geography GiST index (a box of a sane size). */
export function bboxUsesIndex(b: Bbox): boolean {
  return (
    b.maxLong - b.minLong <= PREFILTER_MAX_DEGREES &&
    b.maxLat - b.minLat <= PREFILTER_MAX_DEGREES &&
    Math.abs(b.minLat) <= PREFILTER_MAX_LAT &&
    Math.abs(b.maxLat) <= PREFILTER_MAX_LAT
  );
}

/**
 * `column` (a geography point) inside a longitude/latitude box, exactly as a map draws it. A bbox is a
 * rectangle in degrees, but a geography polygon has great-circle edges: the whole world (-180..180) has
 * antipodal edges PostGIS refuses, and a wide box (-179..179) is read as the small polygon on the other
 * side of the globe. So the exact test is in geometry (plain degrees), and boxes of a sane size first use
 * the geography GiST index through a slightly widened box whose edges are densified to 0.5°.
 */
export function withinBbox(knex: Knex, column: string, b: Bbox, use: AreaTest = 'indexed'): Knex.Raw {
  const exact = knex.raw(`ST_Intersects(${column}::geometry, ?)`, [envelope(knex, b)]);
  if (!bboxUsesIndex(b) || use === 'exact') return exact;
  const wide: Bbox = {
    minLong: Math.max(-180, b.minLong - MARGIN),
    minLat: b.minLat - MARGIN,
    maxLong: Math.min(180, b.maxLong + MARGIN),
    maxLat: b.maxLat + MARGIN,
  };
  // The same exact test without ST_Intersects' own estimate (see AreaTest).
  const test =
    use === 'ordered' ? knex.raw(`_ST_Intersects(${column}::geometry, ?)`, [envelope(knex, b)]) : exact;
  return knex.raw(`(${column} && ST_Segmentize(?, 0.5)::geography AND ?)`, [envelope(knex, wide), test]);
}

/**
 * How an area's test is to be planned:
 * - `indexed`: a filter on its own, the GiST index on the column finding the rows (counts, exports);
 * - `ordered`: for a page read newest first through the (location, requested_at) GiST index (requests'
 *   listRequests). ST_DWithin and ST_Intersects estimate the share of rows an area keeps once in their
 *   index condition (the box) and again in their own filter, so PostgreSQL expects ~25 rows of a 500 m
 *   circle that holds thousands, and a plan that sorts every one of them looks cheaper than reading the
 *   newest first. The same test written as the box (`&&`, estimated from the column's statistics) and
 *   PostGIS's internal function, which has no estimator (PostgreSQL's default for a function: a third of
 *   the box, where a circle fills π/4 of it), gives an estimate close enough for the planner to read the
 *   index in time order when the area holds many more rows than the page, and to sort when it holds few;
 * - `exact`: the exact test alone, no index: for rows another index finds (a given time).
 */
export type AreaTest = 'indexed' | 'ordered' | 'exact';

/** `column` (a geography point) within `radius` metres of a point (on the spheroid, as ST_DWithin). */
export function withinRadius(
  knex: Knex,
  column: string,
  near: LatLong & { radius: number },
  use: AreaTest = 'indexed',
): Knex.Raw {
  const point = geographyPoint(knex, near);
  const exact = knex.raw(`_ST_DWithin(${column}, ?, ?::float8, true)`, [point, near.radius]);
  if (use === 'exact') return exact;
  return use === 'ordered'
    ? knex.raw(`(${column} && _ST_Expand(?, ?::float8) AND ?)`, [point, near.radius, exact])
    : knex.raw(`ST_DWithin(${column}, ?, ?)`, [point, near.radius]);
}

export const latOf = (column: string) => `ST_Y(${column}::geometry)`;
export const longOf = (column: string) => `ST_X(${column}::geometry)`;
