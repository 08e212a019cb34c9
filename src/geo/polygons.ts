/**
 * The checks every polygon of a boundary or district import passes before anything is written (probe M3:
 * a two-position ring used to store an empty boundary, "a" was read as 0, longitude 1000 was stored).
 *
 * Policy (README "GIS import"):
 * - the shape, here, before any SQL: a Polygon or MultiPolygon whose rings each hold at least 4 positions
 *   and end where they start (GeoJSON, RFC 7946 3.1.6: rings are never closed for the file); a position
 *   is 2 or 3 finite numbers (a third, the altitude, is dropped); in WGS84 the longitude lies in
 *   -180..180 and the latitude in -90..90;
 * - in the database, per feature: the geometry must reproject to WGS84 inside those ranges (a projected
 *   file: `srid` or its `crs`), and must keep an area once repaired. A polygon PostGIS finds invalid
 *   (ST_IsValid: a self-intersection, a hole outside its shell) is repaired with ST_MakeValid and the
 *   import warns, naming the feature and PostGIS's reason; one that repairs to nothing (every position on
 *   a line) is rejected, so an empty geometry is never stored.
 * Every problem is a reason for the feature's reject entry ("feature 2: ring 1 is not closed ...").
 */
import type { Knex } from 'knex';
import { quoted } from '../core';
import { importFailure } from './import-run';
import { SRID } from './postgis';

export type PolygonGeometry = { type: 'Polygon' | 'MultiPolygon'; coordinates: unknown };

/** SQL for a repaired 2D multipolygon in 4326 from GeoJSON text in `srid` (two bindings: text, srid). */
export const MULTIPOLYGON_SQL = `ST_Multi(ST_CollectionExtract(ST_MakeValid(ST_Force2D(ST_Transform(ST_SetSRID(ST_GeomFromGeoJSON(?), ?::int), ${SRID}))), 3))`;

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

export const isPolygonal = (g: unknown): g is PolygonGeometry =>
  isObject(g) && (g.type === 'Polygon' || g.type === 'MultiPolygon');

/** A value of the file in a message: JSON (so no control character gets through), at most 30 characters. */
const shown = (v: unknown): string => quoted(JSON.stringify(v) ?? String(v), 30);

function positionProblem(p: unknown, wgs84: boolean): string | null {
  if (!Array.isArray(p) || p.length < 2 || p.length > 3)
    return `${shown(p)} is not a position: [longitude, latitude] or [longitude, latitude, altitude]`;
  for (const c of p) {
    if (typeof c !== 'number') return `${shown(c)} is not a number`;
    if (!Number.isFinite(c)) return 'a coordinate is not a finite number';
  }
  const [long, lat] = p as number[];
  if (wgs84 && (long! < -180 || long! > 180)) return `longitude ${long} is out of range (-180 to 180)`;
  if (wgs84 && (lat! < -90 || lat! > 90)) return `latitude ${lat} is out of range (-90 to 90)`;
  return null;
}

function ringProblem(ring: unknown, wgs84: boolean): string | null {
  if (!Array.isArray(ring)) return ` is not a list of positions (${shown(ring)})`;
  for (const [i, p] of ring.entries()) {
    const problem = positionProblem(p, wgs84);
    if (problem) return `, position ${i + 1}: ${problem}`;
  }
  if (ring.length < 4)
    return ` has ${ring.length} position${ring.length === 1 ? '' : 's'}; a ring needs at least 4, its last repeating its first`;
  const first = ring[0] as number[];
  const last = ring[ring.length - 1] as number[];
  if (first[0] !== last[0] || first[1] !== last[1])
    return ` is not closed: its last position ${shown(last)} must repeat its first ${shown(first)}`;
  return null;
}

function polygonProblem(rings: unknown, wgs84: boolean, prefix: string): string | null {
  if (!Array.isArray(rings)) return `${prefix}${shown(rings)} is not a list of rings`;
  if (rings.length === 0) return `${prefix}no ring: a polygon needs its outer ring`;
  for (const [i, ring] of rings.entries()) {
    const problem = ringProblem(ring, wgs84);
    if (problem) return `${prefix}ring ${i + 1}${problem}`;
  }
  return null;
}

/**
 * What is wrong with a feature's geometry as the file gives it, or null; `wgs84`: its coordinates are
 * longitude and latitude (range-checked here; other CRSs are checked once reprojected, in the database).
 */
export function polygonShapeProblem(geometry: unknown, wgs84: boolean): string | null {
  if (!isPolygonal(geometry))
    return geometry === null || geometry === undefined
      ? 'not a Polygon or MultiPolygon (no geometry)'
      : 'not a Polygon or MultiPolygon';
  const c = geometry.coordinates;
  const list = geometry.type === 'Polygon' ? 'rings' : 'polygons';
  if (!Array.isArray(c)) return `the coordinates are ${shown(c)}, not a list of ${list}`;
  if (geometry.type === 'Polygon') return polygonProblem(c, wgs84, '');
  if (c.length === 0) return 'the MultiPolygon has no polygon';
  for (const [i, rings] of c.entries()) {
    const problem = polygonProblem(rings, wgs84, `polygon ${i + 1}: `);
    if (problem) return problem;
  }
  return null;
}

export interface PolygonVerdict {
  /** Why the feature is rejected, or null. */
  problem: string | null;
  /** PostGIS's reason when the polygon was invalid and is repaired with ST_MakeValid. */
  repaired: string | null;
}

const fmt = (x: number) => String(Math.round(x * 1e6) / 1e6);

/**
 * The database's checks of one polygon that passed polygonShapeProblem: it reprojects, lies within WGS84's
 * ranges once reprojected, and keeps an area once repaired. Run in a savepoint, so a geometry PostGIS
 * refuses (a projection that cannot take the point) is this feature's reject, not the import's failure.
 */
export async function checkPolygon(
  trx: Knex.Transaction,
  geometry: PolygonGeometry,
  srid: number,
): Promise<PolygonVerdict> {
  type Row = {
    valid: boolean;
    reason: string | null;
    empty: boolean;
    xmin: number | null;
    xmax: number | null;
    ymin: number | null;
    ymax: number | null;
  };
  let row: Row | undefined;
  try {
    row = await trx.transaction(async (sp) => {
      const result = await sp.raw(
        `SELECT ST_IsValid(src) AS valid, ST_IsValidReason(src) AS reason, ST_IsEmpty(g) AS empty,
                ST_XMin(g) AS xmin, ST_XMax(g) AS xmax, ST_YMin(g) AS ymin, ST_YMax(g) AS ymax
         FROM (SELECT src, ST_Multi(ST_CollectionExtract(ST_MakeValid(ST_Force2D(ST_Transform(src, ${SRID}))), 3)) AS g
               FROM (SELECT ST_SetSRID(ST_GeomFromGeoJSON(?), ?::int) AS src) s) r`,
        [JSON.stringify(geometry), srid],
      );
      return (result.rows as Row[])[0];
    });
  } catch (err) {
    return { problem: importFailure(err).replace(/\.$/, ''), repaired: null };
  }
  if (!row) return { problem: 'the database refused the data', repaired: null };
  const repaired = row.valid ? null : (row.reason ?? 'invalid');
  if (row.empty) {
    const why = repaired ? ` (${repaired})` : '';
    return { problem: `the polygon has no area once repaired${why}`, repaired: null };
  }
  const [xmin, xmax, ymin, ymax] = [row.xmin, row.xmax, row.ymin, row.ymax].map(Number) as number[];
  const inRange =
    [xmin, xmax, ymin, ymax].every((v) => Number.isFinite(v)) &&
    xmin! >= -180 &&
    xmax! <= 180 &&
    ymin! >= -90 &&
    ymax! <= 90;
  if (!inRange)
    return {
      problem: `out of range once reprojected from EPSG:${srid} to WGS84 (longitude ${fmt(xmin!)} to ${fmt(xmax!)}, latitude ${fmt(ymin!)} to ${fmt(ymax!)}; the range is -180 to 180, -90 to 90): is the CRS right?`,
      repaired: null,
    };
  return { problem: null, repaired };
}

/** How many repaired features the warnings name; the count names the rest. */
const LISTED_REPAIRS = 10;

/** Warnings for the features repaired with ST_MakeValid: the first ten by number and reason, then a count. */
export function repairWarnings(repaired: Array<{ line: number; reason: string }>): string[] {
  const lines = repaired
    .slice(0, LISTED_REPAIRS)
    .map(
      (r) => `feature ${r.line}: not a valid polygon (${quoted(r.reason, 120)}); repaired with ST_MakeValid`,
    );
  if (repaired.length > LISTED_REPAIRS)
    lines.push(`... and ${repaired.length - LISTED_REPAIRS} more features repaired with ST_MakeValid`);
  return lines;
}
