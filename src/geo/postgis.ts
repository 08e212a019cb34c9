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

/** Sphere radius for the bbox pre-filter; the 1% margin covers the spheroid ST_DWithin measures on. */
const EARTH_RADIUS_M = 6_371_008.8;

function haversineMetres(a: LatLong, b: LatLong): number {
  const rad = Math.PI / 180;
  const dLat = (b.lat - a.lat) * rad;
  const dLong = (b.long - a.long) * rad;
  const h =
    Math.sin(dLat / 2) ** 2 + Math.cos(a.lat * rad) * Math.cos(b.lat * rad) * Math.sin(dLong / 2) ** 2;
  return 2 * EARTH_RADIUS_M * Math.asin(Math.min(1, Math.sqrt(h)));
}

/**
 * Exactly the points of a geography `column` inside or on a longitude/latitude box (issue #16). `&&` on
 * geography compares approximate geodetic boxes (both ways wrong near the edges), so: an index-assisted
 * pre-filter that contains the whole box (a disc around its centre reaching past every corner, and the
 * farthest point of a lat/long box from its centre is a corner), then the exact coordinate comparison.
 */
export function geographyInBox(
  knex: Knex,
  column: string,
  b: { minLong: number; minLat: number; maxLong: number; maxLat: number },
): Knex.Raw {
  const centre = { long: (b.minLong + b.maxLong) / 2, lat: (b.minLat + b.maxLat) / 2 };
  const corners: LatLong[] = [
    { long: b.minLong, lat: b.minLat },
    { long: b.minLong, lat: b.maxLat },
    { long: b.maxLong, lat: b.minLat },
    { long: b.maxLong, lat: b.maxLat },
  ];
  const reach = Math.max(...corners.map((c) => haversineMetres(centre, c))) * 1.01 + 10;
  return knex.raw(
    `(ST_DWithin(${column}, ?, ?) AND ${longOf(column)} BETWEEN ?::float8 AND ?::float8
      AND ${latOf(column)} BETWEEN ?::float8 AND ?::float8)`,
    [geographyPoint(knex, centre), reach, b.minLong, b.maxLong, b.minLat, b.maxLat],
  );
}

export const latOf = (column: string) => `ST_Y(${column}::geometry)`;
export const longOf = (column: string) => `ST_X(${column}::geometry)`;
