import { Router } from 'express';
import { rateLimit } from 'express-rate-limit';
import type { AppContext } from '../context';
import { AppError, notFound } from '../core';
import { parseListParams, publicBaseUrl } from '../open311';
import { flag, optionalKey, rateLimitStore, resolveJurisdictionFor, scalar, type RawParams } from '../http';
import { assertDistrictLayer, districtLayers } from '../geo';
import { BULK_CONTENT_TYPES, BULK_FORMATS, exportRequests, type BulkFormat } from './bulk-export';

/** GET /open311/v2/bulk/requests.{csv,json,geojson,ndjson}: every public request matching the filters. */
export function bulkRouter(ctx: AppContext): Router {
  const router = Router();
  const limiter = rateLimit({
    store: rateLimitStore(ctx, 'export:'),
    windowMs: 10 * 60_000,
    limit: 30,
    standardHeaders: 'draft-7',
    legacyHeaders: false,
    // Counted per client address; X-Forwarded-For from a proxy not in TRUST_PROXY is ignored, not an error.
    validate: { xForwardedForHeader: false },
    handler: (_req, _res, next, options) => {
      const e = new AppError(429, 'Too many bulk exports from this address. Please retry later.');
      e.headers['Retry-After'] = String(Math.ceil(options.windowMs / 1000));
      next(e);
    },
  });
  // Public, as every read; a key sent along is checked and a bound one exports its own jurisdiction only.
  router.get('/v2/bulk/requests.:bulkformat', limiter, optionalKey(ctx), async (req, res) => {
    const format = String(req.params.bulkformat) as BulkFormat;
    if (!BULK_FORMATS.includes(format))
      throw notFound(`Unknown export format "${format}": use ${BULK_FORMATS.join(', ')}.`);
    const q = req.query as RawParams;
    const j = await resolveJurisdictionFor(ctx, res, scalar(q, 'jurisdiction_id'));
    // The GeoReport filters without the 90-day limit; paging does not apply to an export.
    const { filter } = parseListParams(q, j, await ctx.catalog.services(j.id), ctx.clock(), {
      maxRangeDays: null,
    });
    const layers = await districtLayers(ctx.read, j.id);
    if (filter.district) assertDistrictLayer(filter.district.layer, layers, 'district_layer');
    const options = { raw: flag(q, 'raw'), bom: flag(q, 'bom') };
    res.setHeader('Access-Control-Allow-Origin', '*');
    await exportRequests(ctx.read, filter, format, j.timeZone, layers, res, {
      ...options,
      baseUrl: publicBaseUrl(req, ctx.config),
      onStart: () => {
        res.status(200).type(BULK_CONTENT_TYPES[format]);
        res.setHeader('Content-Disposition', `attachment; filename="requests.${format}"`);
      },
    });
    res.end();
  });
  return router;
}
