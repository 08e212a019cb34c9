import { Router, type Request, type Response } from 'express';
import type { AppContext } from '../context';
import { boundJurisdictionOf, resolveJurisdictionFor } from '../http';
import { badRequest } from '../core';
import { parseRuleInput } from '../escalation';
import { createRule, deleteRule, getRule, listRules, replaceRule } from '../escalation';

const queryText = (req: Request, name: string): string | undefined => {
  const v = req.query[name];
  if (v === undefined || v === '') return undefined;
  if (typeof v !== 'string') throw badRequest(`${name} must be given once.`);
  return v;
};

/**
 * /admin/v1/escalation-rules: the escalation ladder (steps at a fraction of the response level), for the
 * whole jurisdiction or scoped to a service_code or an agency code. Every write reschedules the open
 * requests it can touch, so the next sweep applies it.
 */
export function escalationRulesRouter(ctx: AppContext): Router {
  const router = Router();
  const serviceIdOf = (jurisdictionId: string) => async (code: string) =>
    (await ctx.catalog.service(jurisdictionId, code))?.id;

  router.get('/escalation-rules', async (req, res) => {
    const requested = queryText(req, 'jurisdiction_id');
    const jurisdictionId =
      requested !== undefined || boundJurisdictionOf(res) !== null
        ? (await resolveJurisdictionFor(ctx, res, requested)).id
        : undefined;
    res.json(
      await listRules(ctx.knex, {
        jurisdictionId,
        serviceCode: queryText(req, 'service_code'),
        agency: queryText(req, 'agency'),
      }),
    );
  });

  router.post('/escalation-rules', async (req, res) => {
    const body = req.body as unknown;
    const fromBody = (body as { jurisdiction_id?: unknown } | null)?.jurisdiction_id;
    if (fromBody !== undefined && typeof fromBody !== 'string')
      throw badRequest('jurisdiction_id must be text.');
    const j = await resolveJurisdictionFor(
      ctx,
      res,
      typeof fromBody === 'string' ? fromBody : queryText(req, 'jurisdiction_id'),
    );
    const input = await parseRuleInput(ctx.knex, j.id, body, serviceIdOf(j.id));
    res.status(201).json(await createRule(ctx.knex, j.id, input, ctx.clock()));
  });

  /** A rule by id, within a bound key's own jurisdiction. */
  const ownRule = (res: Response, id: string) => getRule(ctx.knex, id, boundJurisdictionOf(res));

  router.get('/escalation-rules/:id', async (req, res) => {
    res.json(await ownRule(res, String(req.params.id)));
  });

  router.put('/escalation-rules/:id', async (req, res) => {
    const id = String(req.params.id);
    const existing = await ownRule(res, id);
    const body = req.body as unknown;
    const fromBody = (body as { jurisdiction_id?: unknown } | null)?.jurisdiction_id;
    if (fromBody !== undefined && fromBody !== existing.jurisdiction_id)
      throw badRequest(
        `jurisdiction_id cannot change: rule ${id} belongs to ${existing.jurisdiction_id}; create a new rule instead.`,
      );
    const input = await parseRuleInput(
      ctx.knex,
      existing.jurisdiction_id,
      body,
      serviceIdOf(existing.jurisdiction_id),
    );
    res.json(await replaceRule(ctx.knex, id, input, ctx.clock()));
  });

  router.delete('/escalation-rules/:id', async (req, res) => {
    await ownRule(res, String(req.params.id));
    await deleteRule(ctx.knex, String(req.params.id), ctx.clock());
    res.status(204).end();
  });
  return router;
}
