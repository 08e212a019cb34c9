import { Router, type Request, type Response } from 'express';
import type { AppContext } from '../context';
import { apiKeyOf, resolveJurisdictionFor } from '../http';
import { badRequest, notFound } from '../core';
import { recomputeOpenRequests } from '../requests';
import { loadResponseLevels, replaceResponseLevels } from '../catalog';
import { parseResponseLevels } from '../sla';

const wantsRecompute = (req: Request): boolean => {
  const v = req.query.recompute;
  if (v === undefined || v === 'false') return false;
  if (v === 'true') return true;
  throw badRequest('recompute must be true or false.');
};

/**
 * GET/PUT /admin/v1/services/{service_code}/response-levels: the default level and per-priority overrides.
 * A change applies to new requests and later recomputations; `?recompute=true` also recomputes the
 * expected_datetime of the service's open requests now.
 */
export function responseLevelsRouter(ctx: AppContext): Router {
  const router = Router();
  const serviceOf = async (req: Request, res: Response) => {
    const j = await resolveJurisdictionFor(ctx, res, req.query.jurisdiction_id as string | undefined);
    const code = String(req.params.service_code);
    const s = await ctx.catalog.service(j.id, code);
    if (!s) throw notFound(`service_code "${code}" is not a service of ${j.name}.`);
    return s;
  };

  router.get('/services/:service_code/response-levels', async (req, res) => {
    const s = await serviceOf(req, res);
    res.json(await loadResponseLevels(ctx.knex, s.id));
  });

  router.put('/services/:service_code/response-levels', async (req, res) => {
    const s = await serviceOf(req, res);
    const recompute = wantsRecompute(req);
    const levels = parseResponseLevels(req.body);
    // Refused (400) when the city's business calendar does not reach a level within 20 years.
    await replaceResponseLevels(ctx.knex, s.id, levels, {
      jurisdictionId: s.jurisdictionId,
      at: ctx.clock(),
    });
    await ctx.invalidate('catalog', s.jurisdictionId);
    if (!recompute) return void res.json(levels);
    const key = apiKeyOf(res);
    const actor = {
      type: 'api_key' as const,
      id: key.id === null ? null : String(key.id),
      label: key.name,
      channel: key.channel,
    };
    const recomputed = await recomputeOpenRequests(ctx.knex, s.id, ctx.clock(), actor);
    res.json({ ...levels, recomputed });
  });
  return router;
}
