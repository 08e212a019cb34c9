import { Router } from 'express';
import { apiKeyJson, createApiKey, listApiKeys, parseNewKey, revokeApiKey } from '../auth';
import type { AppContext } from '../context';
import { boundJurisdictionOf, resolveJurisdictionFor, scalar, type RawParams } from '../http';
import { AppError, badRequest, notFound, quoted } from '../core';
import { fieldsOnly } from '../core';

const newKeyFields = fieldsOnly('admin/api-key', ['name', 'role', 'channel', 'jurisdiction_id']);

export function apiKeysRouter(ctx: AppContext): Router {
  const router = Router();

  router.post('/api-keys', async (req, res) => {
    const input = parseNewKey(newKeyFields.parse(req.body ?? {}));
    // The jurisdiction may also be named in the query, as other admin routes take it: it was ignored, and
    // `?jurisdiction_id=boston` made a key of every jurisdiction, the opposite of what was asked (probe H4).
    const inQuery = (req.query as RawParams).jurisdiction_id;
    if (inQuery !== undefined) {
      const named = scalar(req.query as RawParams, 'jurisdiction_id');
      if (named === undefined || Array.isArray(inQuery))
        throw badRequest('jurisdiction_id must be the id of one jurisdiction (text).');
      if (input.jurisdictionId !== null && input.jurisdictionId !== named)
        throw badRequest(
          `jurisdiction_id is ${JSON.stringify(quoted(named, 80))} in the query and ${JSON.stringify(quoted(input.jurisdictionId, 80))} in the body: name one jurisdiction.`,
        );
      input.jurisdictionId = named;
    }
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
    // Digits only: Number() read `0x15`, `2.2e1` or ` 22` as key 21 or 22 and revoked it (probe M4).
    const given = String(req.params.id);
    const id = /^\d{1,15}$/.test(given) ? Number(given) : 0;
    if (!Number.isSafeInteger(id) || id <= 0)
      throw new AppError(404, `API key ${JSON.stringify(quoted(given, 40))} was not found.`);
    if (!(await revokeApiKey(ctx.knex, id, ctx.clock(), boundJurisdictionOf(res))))
      throw notFound(`API key ${id} was not found or is already revoked.`);
    await ctx.invalidate('keys');
    res.status(204).end();
  });
  return router;
}
