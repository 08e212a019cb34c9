import { Router } from 'express';
import {
  CHANNELS,
  ROLES,
  createApiKey,
  listApiKeys,
  revokeApiKey,
  type ApiKey,
  type Channel,
  type Role,
} from '../auth';
import type { AppContext } from '../context';
import { AppError, notFound, Problems } from '../http/errors';
import { fieldsOnly } from '../http/validation';

/** Keys as listed: never the secret or its hash. */
export function apiKeyJson(k: ApiKey) {
  return {
    id: String(k.id),
    name: k.name,
    prefix: k.prefix,
    role: k.role,
    channel: k.channel,
    jurisdiction_id: k.jurisdictionId,
    created_at: k.createdAt?.toISOString() ?? null,
    revoked_at: k.revokedAt?.toISOString() ?? null,
  };
}

/** Validates a key creation request; shared by the admin API and the CLI. */
export function parseNewKey(input: Record<string, unknown>): {
  name: string;
  role: Role;
  channel: Channel;
  jurisdictionId: string | null;
} {
  const problems = new Problems();
  const name = typeof input.name === 'string' ? input.name.trim() : '';
  if (name === '' || name.length > 200) problems.add('name is required (1 to 200 characters).');
  const role = (input.role ?? 'client') as Role;
  if (!ROLES.includes(role)) problems.add(`role must be one of ${ROLES.join(', ')}.`);
  const channel = (input.channel ?? (role === 'client' ? 'web' : 'staff')) as Channel;
  if (!CHANNELS.includes(channel)) problems.add(`channel must be one of ${CHANNELS.join(', ')}.`);
  const jurisdictionId =
    typeof input.jurisdiction_id === 'string' && input.jurisdiction_id !== '' ? input.jurisdiction_id : null;
  problems.throwIfAny();
  return { name, role, channel, jurisdictionId };
}

const newKeyFields = fieldsOnly('admin/api-key', ['name', 'role', 'channel', 'jurisdiction_id']);

export function apiKeysRouter(ctx: AppContext): Router {
  const router = Router();

  router.post('/api-keys', async (req, res) => {
    const input = parseNewKey(newKeyFields.parse(req.body ?? {}));
    if (input.jurisdictionId) await ctx.catalog.resolveJurisdiction(input.jurisdictionId);
    const { key, secret } = await createApiKey(ctx.knex, input, ctx.clock());
    // The secret is shown this once; only its hash is stored.
    res.status(201).json({ ...apiKeyJson(key), api_key: secret });
  });

  router.get('/api-keys', async (_req, res) => {
    res.json((await listApiKeys(ctx.knex)).map(apiKeyJson));
  });

  router.delete('/api-keys/:id', async (req, res) => {
    const id = Number(req.params.id);
    if (!Number.isSafeInteger(id) || id <= 0)
      throw new AppError(404, `API key ${req.params.id} was not found.`);
    if (!(await revokeApiKey(ctx.knex, id, ctx.clock())))
      throw notFound(`API key ${id} was not found or is already revoked.`);
    ctx.keys.clear();
    res.status(204).end();
  });
  return router;
}
