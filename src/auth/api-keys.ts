/**
 * API keys: 32 random bytes shown once at creation, stored only as a SHA-256 hash (a fast hash is right for
 * high-entropy random secrets; a password KDF would only slow every POST). A key carries a role and the
 * intake channel its requests are recorded under.
 */
import crypto from 'node:crypto';
import type { Knex } from 'knex';

export const ROLES = ['client', 'staff', 'admin'] as const;
export type Role = (typeof ROLES)[number];
export const CHANNELS = [
  'mobile',
  'web',
  'phone',
  'walk-in',
  'email',
  'partner',
  'staff',
  'social',
  'kiosk',
  'other',
] as const;
export type Channel = (typeof CHANNELS)[number];

export interface ApiKey {
  id: number | null; // null for the ADMIN_API_KEY from the environment
  name: string;
  prefix: string;
  role: Role;
  channel: Channel;
  jurisdictionId: string | null;
  createdAt: Date | null;
  revokedAt: Date | null;
  lastUsedAt: Date | null;
}

const RANK: Record<Role, number> = { client: 0, staff: 1, admin: 2 };
export const hasRole = (key: ApiKey, role: Role): boolean => RANK[key.role] >= RANK[role];

export function hashKey(secret: string): string {
  return crypto.createHash('sha256').update(secret, 'utf8').digest('hex');
}

function generateSecret(): string {
  return `o311_${crypto.randomBytes(32).toString('base64url')}`;
}

interface ApiKeyRow {
  id: number;
  name: string;
  prefix: string;
  role: Role;
  channel: Channel;
  jurisdiction_id: string | null;
  created_at: Date;
  revoked_at: Date | null;
  last_used_at: Date | null;
}

const COLUMNS = [
  'id',
  'name',
  'prefix',
  'role',
  'channel',
  'jurisdiction_id',
  'created_at',
  'revoked_at',
  'last_used_at',
];

const toApiKey = (r: ApiKeyRow): ApiKey => ({
  id: Number(r.id),
  name: r.name,
  prefix: r.prefix,
  role: r.role,
  channel: r.channel,
  jurisdictionId: r.jurisdiction_id,
  createdAt: r.created_at,
  revokedAt: r.revoked_at,
  lastUsedAt: r.last_used_at,
});

export interface NewApiKey {
  name: string;
  role: Role;
  channel: Channel;
  jurisdictionId?: string | null;
}

export async function createApiKey(
  knex: Knex,
  input: NewApiKey,
  now: Date,
): Promise<{ key: ApiKey; secret: string }> {
  const secret = generateSecret();
  const [row] = (await knex('api_keys')
    .insert({
      name: input.name,
      prefix: secret.slice(0, 12),
      key_hash: hashKey(secret),
      role: input.role,
      channel: input.channel,
      jurisdiction_id: input.jurisdictionId ?? null,
      created_at: now,
    })
    .returning(COLUMNS)) as ApiKeyRow[];
  return { key: toApiKey(row as ApiKeyRow), secret };
}

/** `scope` narrows to the keys bound to one jurisdiction (what a bound admin key may manage); null: all. */
export async function listApiKeys(knex: Knex, scope: string | null = null): Promise<ApiKey[]> {
  const q = knex('api_keys').select(COLUMNS);
  if (scope !== null) q.where('jurisdiction_id', scope);
  const rows = (await q.orderBy('id')) as ApiKeyRow[];
  return rows.map(toApiKey);
}

/** Revokes a key; returns false when no active key has that id. */
export async function revokeApiKey(
  knex: Knex,
  id: number,
  now: Date,
  scope: string | null = null,
): Promise<boolean> {
  const q = knex('api_keys').where({ id }).whereNull('revoked_at');
  if (scope !== null) q.where('jurisdiction_id', scope);
  return (await q.update({ revoked_at: now })) > 0;
}

export async function findActiveKey(knex: Knex, secret: string): Promise<ApiKey | null> {
  const row = (await knex('api_keys')
    .select(COLUMNS)
    .where({ key_hash: hashKey(secret) })
    .whereNull('revoked_at')
    .first()) as ApiKeyRow | undefined;
  return row ? toApiKey(row) : null;
}
