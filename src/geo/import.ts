/**
 * Loads a city's geography: the boundary and district layers from GeoJSON here, address points and
 * intersections in import-points.ts. Each import is one transaction with the checks and the all-or-nothing
 * policy of import-run.ts, and `replace` swaps a layer atomically inside it. Geometry is repaired with
 * ST_MakeValid and reprojected to 4326 from the CRS named in the file (or `srid`). The Boston demo is
 * loaded through this same code.
 */
import type { Knex } from 'knex';
import { setJurisdictionBoundary } from '../catalog';
import { badRequest } from '../core';
import { runImport, type ImportOptions, type ImportReport } from './import-run';
import { SRID } from './postgis';

export type { ImportOptions, ImportReport } from './import-run';
export {
  importAddresses,
  importIntersections,
  type AddressRecord,
  type IntersectionRecord,
} from './import-points';

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

const isPolygonal = (f: Feature) => f.geometry?.type === 'Polygon' || f.geometry?.type === 'MultiPolygon';

/** The boundary is the union of every polygon in the file; it replaces the one in place. */
export async function importBoundary(
  knex: Knex,
  jurisdictionId: string,
  fc: FeatureCollection,
  opts: ImportOptions = {},
): Promise<ImportReport> {
  const srid = opts.srid ?? sridOf(fc);
  return runImport(knex, jurisdictionId, { kind: 'boundary' }, { ...opts, srid }, async (trx, report) => {
    const polygons = fc.features.filter((f, i) => {
      opts.onProgress?.(i + 1);
      if (isPolygonal(f)) return true;
      report.rejected.push({ line: i + 1, reason: 'not a Polygon or MultiPolygon' });
      return false;
    });
    if (polygons.length === 0) return;
    const parts = polygons.map(() => MULTIPOLYGON_SQL).join(', ');
    const params = polygons.flatMap((f) => [JSON.stringify(f.geometry), srid]);
    const boundary = trx.raw(
      `ST_Multi(ST_CollectionExtract(ST_MakeValid(ST_Union(ARRAY[${parts}])), 3))`,
      params,
    );
    if (!(await setJurisdictionBoundary(trx, jurisdictionId, boundary)))
      throw badRequest(`There is no jurisdiction "${jurisdictionId}".`);
    report.accepted = polygons.length;
  });
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
  const spec = { kind: 'districts' as const, name: layer };
  return runImport(knex, jurisdictionId, spec, { ...opts, srid }, async (trx, report) => {
    for (const [i, f] of fc.features.entries()) {
      opts.onProgress?.(i + 1);
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
        else report.accepted += 1;
      }
    }
  });
}
