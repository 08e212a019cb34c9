import { Router, type Request, type Response } from 'express';
import {
  agencyIds,
  agencyRow,
  deleteAgency,
  Findings,
  insertAgency,
  listAgencyDocs,
  loadServices,
  parseAgency,
  removeMergedAgency,
  saveService,
  serviceDocOf,
  updateAgency,
  type AgencyDoc,
} from '../catalog';
import type { AppContext } from '../context';
import { resolveJurisdictionFor } from '../http';
import { AppError, badRequest, notFound } from '../core';
import { moveAgencyRequests } from '../requests';
import { adminActor } from './actor';

function agencyBody(req: Request, pathCode?: string): AgencyDoc {
  const body = { ...(req.body as Record<string, unknown>) };
  const f = new Findings();
  if (pathCode !== undefined) {
    if (body.code !== undefined && body.code !== pathCode)
      f.add(
        '',
        `code "${String(body.code)}" differs from the path (${pathCode}): merge into another department instead.`,
      );
    body.code = pathCode;
  }
  const doc = parseAgency(body, f);
  if (!doc || f.list.length > 0) throw new AppError(400, f.list);
  return doc;
}

/**
 * /admin/v1/jurisdictions/{id}/agencies (issue #14): departments. One with services or requests cannot be
 * deleted, only renamed (PUT) or merged into another (POST …/{code}/merge {"into": CODE}): its services and
 * requests move, each request with a history entry, and then it goes.
 */
export function agenciesRouter(ctx: AppContext): Router {
  const router = Router();
  const base = '/jurisdictions/:id/agencies';
  const jurisdiction = (req: Request, res: Response) =>
    resolveJurisdictionFor(ctx, res, String(req.params.id));
  const found = async (jurisdictionId: string, code: string) => {
    const row = await agencyRow(ctx.knex, jurisdictionId, code);
    if (!row) throw notFound(`department "${code}" is not a department of ${jurisdictionId}.`);
    const { id: _id, ...doc } = row;
    return doc;
  };

  router.get(base, async (req, res) => {
    res.json(await listAgencyDocs(ctx.knex, (await jurisdiction(req, res)).id));
  });
  router.post(base, async (req, res) => {
    const j = await jurisdiction(req, res);
    const doc = agencyBody(req);
    await insertAgency(ctx.knex, j.id, doc);
    await ctx.invalidate('catalog');
    res.status(201).json(await found(j.id, doc.code));
  });
  router.get(`${base}/:code`, async (req, res) => {
    res.json(await found((await jurisdiction(req, res)).id, String(req.params.code)));
  });
  router.put(`${base}/:code`, async (req, res) => {
    const j = await jurisdiction(req, res);
    const code = String(req.params.code);
    await found(j.id, code);
    await updateAgency(ctx.knex, j.id, agencyBody(req, code));
    await ctx.invalidate('catalog');
    res.json(await found(j.id, code));
  });
  router.delete(`${base}/:code`, async (req, res) => {
    const j = await jurisdiction(req, res);
    const code = String(req.params.code);
    if (!(await deleteAgency(ctx.knex, j.id, code)))
      throw notFound(`department "${code}" is not a department of ${j.id}.`);
    await ctx.invalidate('catalog');
    res.status(204).end();
  });
  router.post(`${base}/:code/merge`, async (req, res) => {
    const j = await jurisdiction(req, res);
    const code = String(req.params.code);
    const into = (req.body as Record<string, unknown>).into;
    if (typeof into !== 'string' || into === '')
      throw badRequest('into must name the department to merge into.');
    if (into === code) throw badRequest('A department cannot be merged into itself.');
    const from = await agencyRow(ctx.knex, j.id, code);
    if (!from) throw notFound(`department "${code}" is not a department of ${j.id}.`);
    const target = await agencyRow(ctx.knex, j.id, into);
    if (!target) throw badRequest(`into: department "${into}" is not a department of ${j.id}.`);
    const who = adminActor(res);
    const at = ctx.clock();
    const result = await ctx.knex.transaction(async (trx) => {
      const ids = await agencyIds(trx, j.id);
      const services = (await loadServices(trx, j.id)).filter((s) => s.agency?.code === code);
      for (const s of services)
        await saveService(trx, j.id, s, { ...serviceDocOf(s), agency_code: into }, ids, who.label, at);
      const requests = await moveAgencyRequests(trx, j.id, from, target, who.actor, at);
      await removeMergedAgency(trx, from.id);
      return { services: services.map((s) => s.serviceCode), requests };
    });
    await ctx.invalidate('catalog');
    res.json({ merged: code, into, services: result.services, requests_moved: result.requests });
  });
  return router;
}
