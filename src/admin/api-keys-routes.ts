import { Router } from 'express';
import { apiKeyJson, createApiKey, listApiKeys, parseNewKey, revokeApiKey } from '../auth';
import type { AppContext } from '../context';
import { boundJurisdictionOf, resolveJurisdictionFor } from '../http';
import { AppError, notFound } from '../core';
import { fieldsOnly } from '../core';

const newKeyFields = fieldsOnly('admin/api-key', ['name', 'role', 'channel', 'jurisdiction_id']);

export function apiKeysRouter(ctx: AppContext): Router {
  const router = Router();

  router.post('/api-keys', async (req, res) => {
    const input = parseNewKey(newKeyFields.parse(req.body ?? {}));
    // A bound admin key mints only keys bound to its own jurisdiction (never an unbound one).
    const bound = boundJurisdictionOf(res);
    if (input.jurisdictionId !== null || bound !== null)
      input.jurisdictionId = (await resolveJurisdictionFor(ctx, res, input.jurisdictionId ?? undefined)).id;
    const { key, secret } = await createApiKey(ctx.knex, input, ctx.clock());
    // The secret is shown this once; only its hash is stored.
    res.status(201).json({ ...apiKeyJson(key), api_key: secret });
  });

  router.get('/api-keys', async (_req, res) => {
    res.json((await listApiKeys(ctx.knex, boundJurisdictionOf(res))).map(apiKeyJson));
  });

  router.delete('/api-keys/:id', async (req, res) => {
    const id = Number(req.params.id);
    if (!Number.isSafeInteger(id) || id <= 0)
      throw new AppError(404, `API key ${req.params.id} was not found.`);
    if (!(await revokeApiKey(ctx.knex, id, ctx.clock(), boundJurisdictionOf(res))))
      throw notFound(`API key ${id} was not found or is already revoked.`);
    await ctx.invalidate('keys');
    res.status(204).end();
  });
  return router;
}
