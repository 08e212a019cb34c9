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

/**
 * `column` (a geography point) inside a longitude/latitude box, exactly as a map draws it. A bbox is a
 * rectangle in degrees, but a geography polygon has great-circle edges: the whole world (-180..180) has
 * antipodal edges PostGIS refuses, and a wide box (-179..179) is read as the small polygon on the other
 * side of the globe. So the exact test is in geometry (plain degrees), and boxes of a sane size first use
 * the geography GiST index through a slightly widened box whose edges are densified to 0.5°.
 */
export function withinBbox(knex: Knex, column: string, b: Bbox): Knex.Raw {
  const exact = knex.raw(`ST_Intersects(${column}::geometry, ?)`, [envelope(knex, b)]);
  const small =
    b.maxLong - b.minLong <= PREFILTER_MAX_DEGREES &&
    b.maxLat - b.minLat <= PREFILTER_MAX_DEGREES &&
    Math.abs(b.minLat) <= PREFILTER_MAX_LAT &&
    Math.abs(b.maxLat) <= PREFILTER_MAX_LAT;
  if (!small) return exact;
  const wide: Bbox = {
    minLong: Math.max(-180, b.minLong - MARGIN),
    minLat: b.minLat - MARGIN,
    maxLong: Math.min(180, b.maxLong + MARGIN),
    maxLat: b.maxLat + MARGIN,
  };
  return knex.raw(`(${column} && ST_Segmentize(?, 0.5)::geography AND ?)`, [envelope(knex, wide), exact]);
}

export const latOf = (column: string) => `ST_Y(${column}::geometry)`;
export const longOf = (column: string) => `ST_X(${column}::geometry)`;
