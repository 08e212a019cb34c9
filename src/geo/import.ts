/**
 * Loads a city's geography: the boundary and district layers from GeoJSON here, address points and
 * intersections in import-points.ts. Each import is one transaction with the checks and the all-or-nothing
 * policy of import-run.ts, and `replace` swaps a layer atomically inside it. Every polygon is checked
 * first (polygons.ts: shape, numbers, ranges, area), reprojected to 4326 from the CRS named in the file (or
 * `srid`) and, when PostGIS finds it invalid, repaired with ST_MakeValid with a warning. The Boston demo is
 * loaded through this same code.
 */
import type { Knex } from 'knex';
import { setJurisdictionBoundary } from '../catalog';
import { badRequest, quoted } from '../core';
import { checkPolygon, isPolygonal, MULTIPOLYGON_SQL, polygonShapeProblem, repairWarnings } from './polygons';
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
  /** GeoJSON 2008's named CRS (`{"type": "name", "properties": {"name": "EPSG:2249"}}`); see sridOf. */
  crs?: unknown;
}

/** The CRS names a GeoJSON `crs` member may give, as an error lists them. */
const CRS_FORMS =
  '"EPSG:2249", "urn:ogc:def:crs:EPSG::2249", "http://www.opengis.net/def/crs/EPSG/0/2249" or "urn:ogc:def:crs:OGC:1.3:CRS84" (WGS84)';

/** The EPSG code a CRS name stands for, or null when it is none of CRS_FORMS. */
export function sridOfName(name: string): number | null {
  const n = name.trim();
  if (
    /^(?:urn:ogc:def:crs:OGC:(?:1\.3)?:CRS84|OGC:CRS84|https?:\/\/www\.opengis\.net\/def\/crs\/OGC\/1\.3\/CRS84)$/i.test(
      n,
    )
  )
    return SRID;
  const m =
    /^(?:urn:ogc:def:crs:)?EPSG:(?:[\d.]*:)?(\d{1,6})$/i.exec(n) ??
    /^https?:\/\/www\.opengis\.net\/def\/crs\/EPSG\/[\d.]+\/(\d{1,6})$/i.exec(n);
  return m ? Number(m[1]) : null;
}

/**
 * EPSG code from a GeoJSON `crs` member ("EPSG:2249", "urn:ogc:def:crs:EPSG::2249"); `fallback` (4326)
 * when there is none or it is null. A `crs` this cannot read (another name, a linked CRS) is a 400 listing
 * the forms it reads, never silently WGS84 (probe M3).
 */
export function sridOf(fc: { crs?: unknown }, fallback = SRID): number {
  const crs = fc.crs;
  if (crs === undefined || crs === null) return fallback;
  const props = typeof crs === 'object' ? (crs as { properties?: unknown }).properties : undefined;
  const name = typeof props === 'object' && props !== null ? (props as { name?: unknown }).name : undefined;
  const hint = 'or give the EPSG code with srid (--srid on the command line), which wins over the file';
  if (typeof name !== 'string')
    throw badRequest(
      `The GeoJSON "crs" member is not a named CRS, the only kind this import reads: name one of ${CRS_FORMS}, ${hint}.`,
    );
  const srid = sridOfName(name);
  if (srid === null)
    throw badRequest(
      `The GeoJSON crs ${JSON.stringify(quoted(name, 80))} is not one this import reads: name one of ${CRS_FORMS}, ${hint}.`,
    );
  return srid;
}

/**
 * Sorts a file's features into the polygons to write and the rejects (polygons.ts: the shape in JS, then
 * reprojection, range and area in the database); the repaired ones are named in `report.warnings`.
 * `extra` adds a layer's own check (a district's name) after the geometry's.
 */
async function checkedPolygons(
  trx: Knex.Transaction,
  features: Feature[],
  srid: number,
  report: ImportReport,
  opts: ImportOptions,
  extra: (f: Feature) => string | null = () => null,
): Promise<Array<{ line: number; feature: Feature }>> {
  const ok: Array<{ line: number; feature: Feature }> = [];
  const repaired: Array<{ line: number; reason: string }> = [];
  for (const [i, f] of features.entries()) {
    opts.onProgress?.(i + 1);
    const line = i + 1;
    const geometry = (f as { geometry?: unknown } | null)?.geometry;
    let problem = polygonShapeProblem(geometry, srid === SRID) ?? extra(f);
    if (!problem && isPolygonal(geometry)) {
      const verdict = await checkPolygon(trx, geometry, srid);
      problem = verdict.problem;
      if (!problem && verdict.repaired) repaired.push({ line, reason: verdict.repaired });
    }
    if (problem) report.rejected.push({ line, reason: problem });
    else ok.push({ line, feature: f });
  }
  report.warnings.push(...repairWarnings(repaired));
  return ok;
}

/**
 * The boundary is the union of every polygon in the file. It replaces the one in place only with
 * `replace` (as every other layer), and an empty union is never stored.
 */
export async function importBoundary(
  knex: Knex,
  jurisdictionId: string,
  fc: FeatureCollection,
  opts: ImportOptions = {},
): Promise<ImportReport> {
  const srid = opts.srid ?? sridOf(fc);
  return runImport(knex, jurisdictionId, { kind: 'boundary' }, { ...opts, srid }, async (trx, report) => {
    if (report.existing > 0 && !opts.replace)
      throw badRequest(
        `${jurisdictionId} already has a boundary: replace=true (geo import --replace) replaces it; nothing was changed.`,
      );
    const polygons = await checkedPolygons(trx, fc.features, srid, report, opts);
    if (polygons.length === 0) return;
    const parts = polygons.map(() => MULTIPOLYGON_SQL).join(', ');
    const params = polygons.flatMap(({ feature }) => [JSON.stringify(feature.geometry), srid]);
    const union = await trx.raw(
      `SELECT ST_AsHexEWKB(u) AS hex, ST_IsEmpty(u) AS empty
       FROM (SELECT ST_Multi(ST_CollectionExtract(ST_MakeValid(ST_Union(ARRAY[${parts}])), 3)) AS u) x`,
      params,
    );
    const row = (union.rows as Array<{ hex: string | null; empty: boolean | null }>)[0];
    if (!row?.hex || row.empty !== false)
      throw badRequest('The boundary has no area once its polygons are combined; nothing was changed.');
    const boundary = trx.raw(`ST_SetSRID(?::geometry, ${SRID})`, [row.hex]);
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
    const hasName = (f: Feature) => {
      const name = f.properties?.[prop];
      return typeof name === 'string' || typeof name === 'number' ? null : `no "${prop}" property`;
    };
    for (const { line, feature } of await checkedPolygons(trx, fc.features, srid, report, opts, hasName)) {
      const inserted = await trx.raw(
        `INSERT INTO districts (jurisdiction_id, layer, name, geom)
         SELECT ?, ?, ?, g FROM (SELECT ${MULTIPOLYGON_SQL} AS g) repaired WHERE NOT ST_IsEmpty(g)
         ON CONFLICT (jurisdiction_id, layer, name) DO UPDATE SET geom = EXCLUDED.geom RETURNING id`,
        [jurisdictionId, layer, String(feature.properties?.[prop]), JSON.stringify(feature.geometry), srid],
      );
      if (inserted.rows.length === 0)
        report.rejected.push({ line, reason: 'the polygon has no area once repaired' });
      else report.accepted += 1;
    }
  });
}
