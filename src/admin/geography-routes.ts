import { Router } from 'express';
import type { AppContext } from '../context';
import { resolveJurisdictionFor } from '../http';
import { AppError, badRequest, translateDatabaseError } from '../core';
import { importLayerStream, parseLayer } from '../geo';
import { scalar, type RawParams } from '../http';

/**
 * POST /admin/v1/jurisdictions/{id}/geography/{layer}: the `geo import` command over HTTP. The body is
 * the file itself (GeoJSON: application/geo+json or application/json; CSV: text/csv), streamed.
 * Query: `replace=true`, `srid`, `name_property`, and `col_street` etc. for CSV columns.
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
    const col = (name: string) => scalar(q, `col_${name}`);
    try {
      const report = await importLayerStream(ctx.knex, j.id, layer, req, {
        format,
        srid: srid === undefined ? undefined : Number(srid),
        replace: scalar(q, 'replace') === 'true',
        nameProperty: scalar(q, 'name_property'),
        columns: Object.fromEntries(
          (
            [
              'externalId:external_id',
              'houseNumber:house_number',
              'street:street',
              'unit:unit',
              'zip:zip',
              'lat:lat',
              'long:long',
            ] as const
          )
            .map((pair) => pair.split(':') as [string, string])
            .map(([key, param]) => [key, col(param)])
            .filter(([, v]) => v !== undefined),
        ),
      });
      await ctx.invalidate('catalog');
      res
        .status(201)
        .json({ layer: report.layer, accepted: report.accepted, rejected: report.rejected.slice(0, 1000) });
    } catch (err) {
      if (err instanceof AppError) throw err;
      const unavailable = translateDatabaseError(err);
      if (unavailable) throw unavailable;
      // Bad geometry, unknown SRID, unparseable file: the import rolled back and the old data stands.
      throw badRequest(`The import failed and nothing was changed: ${importFailure(err)}`);
    }
  });
  return router;
}

/**
 * Why an import failed, for the admin: the database's own reason without the statement (knex puts the
 * SQL text, with bound values, before " - "), a file problem's message as it is; both bounded.
 */
export function importFailure(err: unknown): string {
  const e = err as { code?: unknown; message?: unknown } | null;
  const message = typeof e?.message === 'string' ? e.message : 'unknown error';
  const isDatabase = typeof e?.code === 'string' && /^[0-9A-Z]{5}$/.test(e.code);
  const reason = isDatabase ? (message.split(' - ').pop() ?? '') : message;
  const clean = reason.replace(/\s+/g, ' ').trim().slice(0, 300);
  return isDatabase ? `the database refused the data (${clean || e?.code}).` : clean;
}
