import { Router, type Request } from 'express';
import {
  deleteJurisdiction,
  Findings,
  insertJurisdiction,
  jurisdictionAddedWarnings,
  jurisdictionDoc,
  listJurisdictionDocs,
  parseJurisdiction,
  updateJurisdiction,
  type JurisdictionDoc,
} from '../catalog';
import type { AppContext } from '../context';
import { AppError, forbidden, notFound } from '../core';
import { assertJurisdiction, boundJurisdictionOf } from '../http';

/** A jurisdiction document from a body, every problem at once; on PUT the id comes from the path. */
export function jurisdictionBody(req: Request, pathId?: string): JurisdictionDoc {
  const body = { ...(req.body as Record<string, unknown>) };
  const f = new Findings();
  if (pathId !== undefined) {
    if (body.id !== undefined && body.id !== pathId)
      f.add(
        '',
        `id "${String(body.id)}" differs from the path (${pathId}); a jurisdiction's id cannot change.`,
      );
    body.id = pathId;
  }
  const doc = parseJurisdiction(body, f);
  if (!doc || f.list.length > 0) throw new AppError(400, f.list);
  return doc;
}

/** /admin/v1/jurisdictions (issue #14): a city's jurisdiction, delete only while it has no requests. */
export function jurisdictionsRouter(ctx: AppContext): Router {
  const router = Router();
  const found = async (id: string) => {
    const doc = await jurisdictionDoc(ctx.knex, id);
    if (!doc) throw notFound(`jurisdiction "${id}" is not served here.`);
    return doc;
  };

  // A key bound to one jurisdiction sees and edits only that one, and cannot create or delete cities.
  router.get('/jurisdictions', async (_req, res) => {
    const bound = boundJurisdictionOf(res);
    res.json((await listJurisdictionDocs(ctx.knex)).filter((j) => bound === null || j.id === bound));
  });
  router.post('/jurisdictions', async (req, res) => {
    if (boundJurisdictionOf(res) !== null)
      throw forbidden('This api_key is bound to one jurisdiction and cannot create another.');
    const doc = jurisdictionBody(req);
    await insertJurisdiction(ctx.knex, doc);
    await ctx.invalidate('catalog');
    // The document, and what the operator must know now: a second city makes jurisdiction_id required.
    const ids = (await listJurisdictionDocs(ctx.knex)).map((j) => j.id);
    const warnings = jurisdictionAddedWarnings(ids, doc.id, ctx.config.defaultJurisdiction);
    for (const w of warnings) ctx.logger.warn({ jurisdiction_id: doc.id }, w);
    res.status(201).json({ ...(await found(doc.id)), warnings });
  });
  router.get('/jurisdictions/:id', async (req, res) => {
    assertJurisdiction(res, String(req.params.id));
    res.json(await found(String(req.params.id)));
  });
  router.put('/jurisdictions/:id', async (req, res) => {
    const id = String(req.params.id);
    assertJurisdiction(res, id);
    await found(id);
    await updateJurisdiction(ctx.knex, jurisdictionBody(req, id), ctx.clock());
    await ctx.invalidate('catalog');
    res.json(await found(id));
  });
  router.delete('/jurisdictions/:id', async (req, res) => {
    const id = String(req.params.id);
    if (boundJurisdictionOf(res) !== null)
      throw forbidden('This api_key is bound to one jurisdiction and cannot delete one.');
    if (!(await deleteJurisdiction(ctx.knex, id))) throw notFound(`jurisdiction "${id}" is not served here.`);
    await ctx.invalidate('catalog');
    // Its keys went with it (ON DELETE CASCADE): cached, they kept working for the cache's life, and could
    // mint keys of a new city given the same id (outside probe, M5). Its calendar goes too.
    await ctx.invalidate('keys');
    await ctx.invalidate('calendar', id);
    res.status(204).end();
  });
  return router;
}
