import { PassThrough } from 'node:stream';
import { Router } from 'express';
import type { AppContext } from '../context';
import { resolveJurisdictionFor } from '../http';
import { AppError, badRequest } from '../core';
import { importLayerStream, parseLayer } from '../geo';
import { scalar, type RawParams } from '../http';

const COLUMNS = [
  ['address', 'address'],
  ['externalId', 'external_id'],
  ['houseNumber', 'house_number'],
  ['street', 'street'],
  ['unit', 'unit'],
  ['zip', 'zip'],
  ['lat', 'lat'],
  ['long', 'long'],
] as const;

/**
 * POST /admin/v1/jurisdictions/{id}/geography/{layer}: the `geo import` command over HTTP, with its checks
 * and its all-or-nothing policy (geo's importLayerStream): any rejected row answers 400 with the rejects
 * listed and writes nothing. The body is the file itself (GeoJSON: application/geo+json or
 * application/json; CSV: text/csv), streamed. Query: `replace=true`, `allow_rejects=true` (import the valid
 * rows, list the rest), `dry_run=true` (validate and report, write nothing: 200), `srid`, `name_property`,
 * and `col_street` etc. for CSV columns (`col_address`: a one-line address column).
 */
export function geographyRouter(ctx: AppContext): Router {
  const router = Router();
  router.post('/jurisdictions/:id/geography/:layer', async (req, res) => {
    const j = await resolveJurisdictionFor(ctx, res, String(req.params.id));
    const layer = parseLayer(String(req.params.layer));
    if (!layer)
      throw badRequest(
        'layer must be boundary, addresses, intersections or districts:NAME (e.g. districts:ward).',
      );
    const type = (req.headers['content-type'] ?? '').toLowerCase();
    const format = type.startsWith('text/csv') ? 'csv' : type.includes('json') ? 'geojson' : null;
    if (!format) throw new AppError(415, 'Send GeoJSON (application/geo+json) or CSV (text/csv).');
    const q = req.query as RawParams;
    const srid = scalar(q, 'srid');
    if (srid !== undefined && !/^\d{4,6}$/.test(srid))
      throw badRequest('srid must be an EPSG code such as 2249.');
    const flag = (name: string) => scalar(q, name) === 'true';
    // The import reads its own copy of the body: a refused import stops reading and destroys that copy,
    // never the request, so the answer still reaches the client (Node drains the rest of the body).
    const body = req.pipe(new PassThrough());
    const dryRun = flag('dry_run');
    const report = await importLayerStream(ctx.knex, j.id, layer, body, {
      format,
      srid: srid === undefined ? undefined : Number(srid),
      replace: flag('replace'),
      allowRejects: flag('allow_rejects'),
      dryRun,
      nameProperty: scalar(q, 'name_property'),
      columns: Object.fromEntries(
        COLUMNS.map(([key, param]) => [key, scalar(q, `col_${param}`)]).filter(([, v]) => v !== undefined),
      ),
    });
    if (report.written) await ctx.invalidate('catalog');
    res.status(dryRun ? 200 : 201).json({
      layer: report.layer,
      dry_run: dryRun,
      written: report.written,
      accepted: report.accepted,
      rejected: report.rejected.slice(0, 1000),
      rejected_count: report.rejected.length,
      existing: report.existing,
      replaced: report.replaces ? report.existing : 0,
      warnings: report.warnings,
      // Address points: how the file met the points in place (kept and moved keep their address_id).
      ...(report.points && {
        kept: report.points.kept,
        moved: report.points.moved,
        added: report.points.added,
        removed: report.points.removed,
        requests_unlinked: report.points.requestsUnlinked,
      }),
    });
  });
  return router;
}
