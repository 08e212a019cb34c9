/**
 * What every layer import shares (issue #19): the checks made before anything is read (the jurisdiction,
 * the SRID), one transaction per import, and the policy applied at its end. Any rejected row or feature
 * refuses the whole import unless rejects are allowed; a dry run, or a confirmation the operator declines,
 * rolls the transaction back after everything was validated, so the counts it reports are the real ones.
 * Every failure leaves as an AppError (400, 404, 503) whose descriptions the CLI prints as they are and
 * the admin API renders as an Open311 error list: never a stack trace, never SQL.
 */
import type { Knex } from 'knex';
import { AppError, badRequest, notFound, translateDatabaseError } from '../core';
import { SRID } from './postgis';

export interface ImportReject {
  /** The CSV line, or the GeoJSON feature's position (1-based). */
  line: number;
  reason: string;
}

export type ImportLayer =
  | { kind: 'boundary' }
  | { kind: 'addresses' }
  | { kind: 'intersections' }
  | { kind: 'districts'; name: string };

/** Address points and intersections: files of points, read as a stream (any size); polygons are read whole. */
export const isPointLayer = (kind: string): boolean => kind === 'addresses' || kind === 'intersections';

export interface ImportReport {
  layer: string;
  /** Rows or features that passed every check: imported, or that would be on a dry run. */
  accepted: number;
  rejected: ImportReject[];
  /** What `line` counts in `rejected`. */
  unit: 'line' | 'feature';
  /** Rows of the layer in place before the import (for the boundary: 1 if there was one). */
  existing: number;
  /** The import removes the `existing` rows (`replace`; a boundary always replaces). */
  replaces: boolean;
  warnings: string[];
  /** False after a dry run or a declined confirmation: nothing was written. */
  written: boolean;
  /** Address points only: how the file's points met those in place (import-points.ts `mergePoints`). */
  points?: PointChanges;
}

/**
 * What an address import did to the points in place, matched on `external_id`, else on the address
 * (number, street, unit, zip) at the same place. kept + moved + added = accepted.
 */
export interface PointChanges {
  /** Matched points that keep their id and their coordinates (their text may be updated). */
  kept: number;
  /** Matched points that keep their id at new coordinates. */
  moved: number;
  /** Points of the file that matched none in place: new ids. */
  added: number;
  /** Points in place that are not in the file, deleted (`replace` only; without it they stay). */
  removed: number;
  /** Requests linked to a removed point: they keep their own location and address text, not the link. */
  requestsUnlinked: number;
}

export interface ImportOptions {
  srid?: number;
  replace?: boolean;
  /** Import the valid rows and list the rejects, instead of refusing the whole import. */
  allowRejects?: boolean;
  /** Validate everything and report, then roll back. */
  dryRun?: boolean;
  /** Asked inside the transaction once everything is validated; false rolls the import back. */
  confirm?: (report: ImportReport) => Promise<boolean>;
  /** Rows (or features) read so far. */
  onProgress?: (rows: number) => void;
  /** What the records' numbers count: CSV lines (the default for points) or GeoJSON features. */
  unit?: ImportReport['unit'];
}

/** How many rejects an error lists; the count names the rest. */
export const LISTED_REJECTS = 10;

export const layerName = (layer: ImportLayer): string =>
  layer.kind === 'districts' ? `districts:${layer.name}` : layer.kind;

/** "address points", "ward districts": what a count of the layer's rows is a count of. */
export function layerNoun(layer: ImportLayer): string {
  if (layer.kind === 'addresses') return 'address points';
  if (layer.kind === 'districts') return `${layer.name} districts`;
  return layer.kind === 'boundary' ? 'boundary' : 'intersections';
}

/** Thrown inside the transaction to roll back a dry run or a declined import. */
class RolledBack extends Error {}

/**
 * An import refused because of its rejects; `report` holds them all. `allow` names the way to import the
 * valid rows anyway in the caller's terms (`allow_rejects=true` over HTTP, `--allow-rejects` on the CLI).
 */
export class ImportRefused extends AppError {
  constructor(
    readonly report: ImportReport,
    allow = 'allow_rejects=true',
  ) {
    super(400, refusalLines(report, allow));
  }
}

function refusalLines(report: ImportReport, allow: string): string[] {
  const n = report.rejected.length;
  const what = report.unit === 'line' ? 'rows' : 'features';
  const count = (x: number) => x.toLocaleString('en-US');
  const hint = report.accepted > 0 ? ` (${allow} imports the other ${count(report.accepted)})` : '';
  const lines = [
    `${count(n)} of ${count(n + report.accepted)} ${what} rejected, so nothing was changed${hint}:`,
    ...report.rejected.slice(0, LISTED_REJECTS).map((r) => `${report.unit} ${r.line}: ${r.reason}`),
  ];
  if (n > LISTED_REJECTS) lines.push(`... and ${count(n - LISTED_REJECTS)} more`);
  return lines;
}

/**
 * The jurisdiction must exist and the SRID be one PostGIS knows, checked before any row is read: both
 * used to surface as raw SQL errors (a foreign-key violation, a failed ST_Transform) mid-import.
 */
export async function checkTarget(
  knex: Knex,
  jurisdictionId: string,
  srid: number,
): Promise<{ hasBoundary: boolean }> {
  const j = (await knex('jurisdictions')
    .where('id', jurisdictionId)
    .first(knex.raw('boundary IS NOT NULL AS has_boundary'))) as { has_boundary: boolean } | undefined;
  if (!j) {
    const known = (await knex('jurisdictions').orderBy('id').limit(10).pluck('id')) as string[];
    throw notFound(
      `There is no jurisdiction "${jurisdictionId}" (${known.length ? `known: ${known.join(', ')}` : 'none yet: create one first'}).`,
    );
  }
  if (!Number.isInteger(srid) || srid <= 0 || srid > 999_999)
    throw badRequest(`The SRID must be an EPSG code such as 4326 or 2249 (got ${srid}).`);
  if (srid !== SRID && !(await knex('spatial_ref_sys').where('srid', srid).first('srid')))
    throw badRequest(`Unknown SRID ${srid}: PostGIS has no coordinate system with that EPSG code.`);
  return { hasBoundary: Boolean(j.has_boundary) };
}

function layerRows(trx: Knex, jurisdictionId: string, layer: ImportLayer): Knex.QueryBuilder {
  if (layer.kind === 'districts')
    return trx('districts').where({ jurisdiction_id: jurisdictionId, layer: layer.name });
  if (layer.kind === 'boundary')
    return trx('jurisdictions').where('id', jurisdictionId).whereNotNull('boundary');
  return trx(layer.kind === 'addresses' ? 'address_points' : 'intersections').where(
    'jurisdiction_id',
    jurisdictionId,
  );
}

/**
 * Runs `write` in one transaction with the checks and policy above. `write` adds to `report.accepted`
 * and `report.rejected` as it goes; on `replace` the layer's rows are deleted first (the boundary is
 * replaced by its writer, address points merged by theirs: `importAddresses`).
 */
export async function runImport(
  knex: Knex,
  jurisdictionId: string,
  layer: ImportLayer,
  opts: ImportOptions,
  write: (trx: Knex.Transaction, report: ImportReport) => Promise<void>,
): Promise<ImportReport> {
  const report: ImportReport = {
    layer: layerName(layer),
    accepted: 0,
    rejected: [],
    unit: opts.unit ?? (isPointLayer(layer.kind) ? 'line' : 'feature'),
    existing: 0,
    replaces: layer.kind === 'boundary' || Boolean(opts.replace),
    warnings: [],
    written: false,
  };
  try {
    const { hasBoundary } = await checkTarget(knex, jurisdictionId, opts.srid ?? SRID);
    if (!hasBoundary && isPointLayer(layer.kind))
      report.warnings.push(
        `${jurisdictionId} has no boundary yet, so these points were not checked against one (import --layer boundary first).`,
      );
    await knex.transaction(async (trx) => {
      const [row] = (await layerRows(trx, jurisdictionId, layer).count({ n: '*' })) as Array<{
        n: string | number;
      }>;
      report.existing = Number(row?.n ?? 0);
      // Address points are matched and merged by their writer (ids kept); other layers are swapped whole.
      if (opts.replace && layer.kind !== 'boundary' && layer.kind !== 'addresses')
        await layerRows(trx, jurisdictionId, layer).delete();
      await write(trx, report);
      report.rejected.sort((a, b) => a.line - b.line);
      if (report.rejected.length > 0 && !opts.allowRejects) throw new ImportRefused(report);
      if (report.accepted === 0)
        throw badRequest(
          `The file has no usable ${layerNoun(layer)}${layer.kind === 'boundary' ? ' polygon' : ''} (${report.rejected.length} rejected); nothing was changed.`,
        );
      if (opts.dryRun || (opts.confirm && !(await opts.confirm(report)))) throw new RolledBack();
    });
    report.written = true;
  } catch (err) {
    if (!(err instanceof RolledBack)) throw asImportError(err);
  }
  return report;
}

/** Any failure as an AppError: the database's reason without its SQL, a reader's message as it is. */
export function asImportError(err: unknown): AppError {
  if (err instanceof AppError) return err;
  const translated = translateDatabaseError(err);
  if (translated?.status === 503) return translated;
  return badRequest(`The import failed and nothing was changed: ${importFailure(err)}`);
}

/**
 * Why an import failed: the database's own reason without the statement (knex puts the SQL text, with
 * bound values, before " - "), a file problem's message as it is; both bounded.
 */
export function importFailure(err: unknown): string {
  const e = err as { code?: unknown; message?: unknown } | null;
  const message = typeof e?.message === 'string' ? e.message : 'unknown error';
  const isDatabase = typeof e?.code === 'string' && /^[0-9A-Z]{5}$/.test(e.code);
  const reason = isDatabase ? (message.split(' - ').pop() ?? '') : message;
  const clean = reason.replace(/\s+/g, ' ').trim().slice(0, 300);
  return isDatabase ? `the database refused the data (${clean || e?.code}).` : clean;
}
