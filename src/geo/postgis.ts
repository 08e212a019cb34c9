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

/** A bbox as geography, for `location && bbox` against the GiST index. */
export function geographyEnvelope(
  knex: Knex,
  b: { minLong: number; minLat: number; maxLong: number; maxLat: number },
): Knex.Raw {
  return knex.raw(`ST_MakeEnvelope(?::float8, ?::float8, ?::float8, ?::float8, ${SRID})::geography`, [
    b.minLong,
    b.minLat,
    b.maxLong,
    b.maxLat,
  ]);
}

export const latOf = (column: string) => `ST_Y(${column}::geometry)`;
export const longOf = (column: string) => `ST_X(${column}::geometry)`;
