import express, { Router } from 'express';
import { exportCatalog, importCatalogFrom, type CatalogSource } from '../catalog';
import type { AppContext } from '../context';
import { AppError, badRequest } from '../core';
import { flag, guardBody, jsonBody, resolveJurisdictionFor, scalar, type RawParams } from '../http';
import { adminActor } from './actor';

/**
 * GET /admin/v1/jurisdictions/{id}/catalog: the whole catalog in the server's JSON format.
 * POST the same path imports one, all-or-nothing: a JSON document (application/json: the export format, or
 * a GeoReport services array as every Open311 server publishes it), a services.xml file (application/xml,
 * text/xml), a CSV of services (text/csv), or `?from_open311=URL` (with `format`,
 * `remote_jurisdiction_id`) to read a live GeoReport server. `?dry_run=true` answers what would be added,
 * changed and deactivated, and writes nothing. An import that would make a private service public is a 400
 * unless `?publish_private=true` (a dry run lists it under `made_public` and `warnings`).
 *
 * Mounted before the admin router's JSON-only body check, so it parses its own bodies: JSON (checked for
 * UTF-8 and text as every admin body is) and CSV or XML as text, each within BODY_LIMIT_BYTES; any other
 * type is this route's own 415.
 */
const XML_TYPES = ['application/xml', 'text/xml'];

export function catalogRouter(ctx: AppContext): Router {
  const router = Router();
  const path = '/jurisdictions/:id/catalog';
  router.get(path, async (req, res) => {
    const j = await resolveJurisdictionFor(ctx, res, String(req.params.id));
    res.json(await exportCatalog(ctx.knex, j.id));
  });
  router.post(
    path,
    jsonBody(ctx.config.bodyLimitBytes),
    guardBody,
    express.text({ type: ['text/csv', ...XML_TYPES], limit: ctx.config.bodyLimitBytes }),
    async (req, res) => {
      const j = await resolveJurisdictionFor(ctx, res, String(req.params.id));
      const q = req.query as RawParams;
      const dryRun = flag(q, 'dry_run');
      const publishPrivate = flag(q, 'publish_private');
      const url = scalar(q, 'from_open311');
      const format = scalar(q, 'format');
      if (format !== undefined && format !== 'json' && format !== 'xml')
        throw badRequest('format must be json or xml.');
      let source: CatalogSource;
      if (url !== undefined) {
        if (!/^https?:\/\//.test(url)) throw badRequest('from_open311 must be an http(s) URL.');
        source = {
          kind: 'open311',
          url,
          format,
          remoteJurisdiction: scalar(q, 'remote_jurisdiction_id'),
          fetch: ctx.outbound,
        };
      } else if (typeof req.body === 'string')
        source = req.is(XML_TYPES) ? { kind: 'xml', text: req.body } : { kind: 'csv', text: req.body };
      else if (req.is('application/json')) source = { kind: 'json', document: req.body };
      else
        throw new AppError(
          415,
          'Send the catalog as application/json (the export format or a GeoReport services array), ' +
            'application/xml (a GeoReport services.xml) or text/csv, or give ?from_open311=URL.',
        );
      const plan = await importCatalogFrom(ctx.knex, j.id, source, {
        dryRun,
        publishPrivate,
        actor: adminActor(res).label,
        at: ctx.clock(),
      });
      if (plan.applied) await ctx.invalidate('catalog');
      res.json(plan);
    },
  );
  return router;
}
