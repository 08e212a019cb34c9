import { Router, type Request, type Response } from 'express';
import {
  agencyIds,
  deleteService,
  Findings,
  guardPublishing,
  listAgencyDocs,
  loadServices,
  parseService,
  saveService,
  serviceDocOf,
  serviceHasRequests,
  serviceVersions,
  type ServiceDoc,
} from '../catalog';
import type { AppContext } from '../context';
import { resolveJurisdictionFor } from '../http';
import { AppError, badRequest, notFound } from '../core';
import { moveServiceRequests } from '../requests';
import { adminActor } from './actor';

/**
 * /admin/v1/jurisdictions/{id}/services (issue #14): service definitions as whole documents. A service
 * with requests is deactivated, never deleted. Every change is a version (…/{code}/versions), and the
 * catalog cache (and the validators keyed by the service version) change at once.
 *
 * A PUT that gives the service another department leaves its requests where they are (new requests go to
 * the new department), unless `?move_open_requests=true`: then its open requests still with the old
 * department move too, each with a history entry, in the same transaction as the service's new version.
 *
 * A PUT that drops the keyword "private" from a service that has requests would publish them: a 400 naming
 * the service and its requests, nothing written, unless `?publish_private=true` (as for the catalog import).
 */
export function catalogServicesRouter(ctx: AppContext): Router {
  const router = Router();
  const base = '/jurisdictions/:id/services';
  const jurisdiction = (req: Request, res: Response) =>
    resolveJurisdictionFor(ctx, res, String(req.params.id));
  const stored = async (jurisdictionId: string, code: string) =>
    (await loadServices(ctx.knex, jurisdictionId)).find((s) => s.serviceCode === code) ?? null;
  const found = async (jurisdictionId: string, code: string) => {
    const s = await stored(jurisdictionId, code);
    if (!s) throw notFound(`service_code "${code}" is not a service of ${jurisdictionId}.`);
    return s;
  };
  const body = async (req: Request, jurisdictionId: string, pathCode?: string): Promise<ServiceDoc> => {
    const raw = { ...(req.body as Record<string, unknown>) };
    const f = new Findings();
    if (pathCode !== undefined) {
      if (raw.service_code !== undefined && raw.service_code !== pathCode)
        f.add('', `service_code "${String(raw.service_code)}" differs from the path (${pathCode}).`);
      raw.service_code = pathCode;
    }
    const doc = parseService(raw, f);
    if (
      doc?.agency_code &&
      !(await listAgencyDocs(ctx.knex, jurisdictionId)).some((a) => a.code === doc.agency_code)
    )
      f.add('', `agency_code "${doc.agency_code}" is not a department of ${jurisdictionId}.`);
    if (!doc || f.list.length > 0) throw new AppError(400, f.list);
    return doc;
  };
  const flag = (req: Request, name: string): boolean => {
    const raw = (req.query as Record<string, unknown>)[name];
    if (raw !== undefined && raw !== 'true' && raw !== 'false')
      throw badRequest(`${name} must be true or false.`);
    return raw === 'true';
  };
  const save = async (
    jurisdictionId: string,
    before: Parameters<typeof saveService>[2],
    doc: ServiceDoc,
    label: string,
    publishPrivate = false,
  ) => {
    await ctx.knex.transaction(async (trx) => {
      await guardPublishing(trx, [{ before, after: doc }], { by: 'change', confirmed: publishPrivate });
      await saveService(
        trx,
        jurisdictionId,
        before,
        doc,
        await agencyIds(trx, jurisdictionId),
        label,
        ctx.clock(),
      );
    });
    await ctx.invalidate('catalog');
    return serviceDocOf(await found(jurisdictionId, doc.service_code));
  };

  router.get(base, async (req, res) => {
    res.json((await loadServices(ctx.knex, (await jurisdiction(req, res)).id)).map(serviceDocOf));
  });
  router.post(base, async (req, res) => {
    const j = await jurisdiction(req, res);
    const doc = await body(req, j.id);
    if (await stored(j.id, doc.service_code))
      throw new AppError(
        409,
        `service_code "${doc.service_code}" exists already in ${j.id}: PUT it to change it.`,
      );
    res.status(201).json(await save(j.id, null, doc, adminActor(res).label));
  });
  router.get(`${base}/:code`, async (req, res) => {
    res.json(serviceDocOf(await found((await jurisdiction(req, res)).id, String(req.params.code))));
  });
  router.put(`${base}/:code`, async (req, res) => {
    const j = await jurisdiction(req, res);
    const code = String(req.params.code);
    const move = flag(req, 'move_open_requests');
    const publishPrivate = flag(req, 'publish_private');
    const before = await found(j.id, code);
    const doc = await body(req, j.id, code);
    if (!move) return void res.json(await save(j.id, before, doc, adminActor(res).label, publishPrivate));
    if (!doc.agency_code)
      throw badRequest(
        'move_open_requests needs the department (agency_code) to move the open requests to; the document names none.',
      );
    const who = adminActor(res);
    const at = ctx.clock();
    const moved = await ctx.knex.transaction(async (trx) => {
      await guardPublishing(trx, [{ before, after: doc }], { by: 'change', confirmed: publishPrivate });
      const ids = await agencyIds(trx, j.id);
      await saveService(trx, j.id, before, doc, ids, who.label, at);
      const into = (await listAgencyDocs(trx, j.id)).find((a) => a.code === doc.agency_code);
      if (!into) throw badRequest(`agency_code "${doc.agency_code}" is not a department of ${j.id}.`);
      const target = { id: ids.get(into.code) as number, code: into.code, name: into.name };
      return moveServiceRequests(trx, j.id, before.id, before.agency, target, who.actor, at);
    });
    await ctx.invalidate('catalog');
    res.json({ ...serviceDocOf(await found(j.id, code)), requests_moved: moved });
  });
  router.delete(`${base}/:code`, async (req, res) => {
    const j = await jurisdiction(req, res);
    const s = await found(j.id, String(req.params.code));
    if (await serviceHasRequests(ctx.knex, s.id)) {
      const doc = await save(j.id, s, { ...serviceDocOf(s), active: false }, adminActor(res).label);
      return void res.json({ ...doc, deactivated_because: 'the service has requests, which keep it' });
    }
    await deleteService(ctx.knex, s.id);
    await ctx.invalidate('catalog');
    res.status(204).end();
  });
  router.get(`${base}/:code/versions`, async (req, res) => {
    const s = await found((await jurisdiction(req, res)).id, String(req.params.code));
    res.json(await serviceVersions(ctx.knex, s.id));
  });
  return router;
}
