/**
 * API keys as they cross the edge: the input that creates one (validated the same way for the admin API
 * and the CLI) and the listing shape (never the secret or its hash).
 */
import { Problems } from '../core';
import { CHANNELS, ROLES, type ApiKey, type Channel, type Role } from './api-keys';

export interface NewApiKey {
  name: string;
  role: Role;
  channel: Channel;
  jurisdictionId: string | null;
}

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

/** Validates a key creation request, reporting every problem at once. */
export function parseNewKey(input: Record<string, unknown>): NewApiKey {
  const problems = new Problems();
  const name = typeof input.name === 'string' ? input.name.trim() : '';
  if (name === '' || name.length > 200) problems.add('name is required (1 to 200 characters).');
  const role = (input.role ?? 'client') as Role;
  if (!ROLES.includes(role)) problems.add(`role must be one of ${ROLES.join(', ')}.`);
  const channel = (input.channel ?? (role === 'client' ? 'web' : 'staff')) as Channel;
  if (!CHANNELS.includes(channel)) problems.add(`channel must be one of ${CHANNELS.join(', ')}.`);
  // Absent or null: a key of every jurisdiction. Anything else must name one: a list, a number or an
  // empty text used to make an unbound key, the opposite of what was asked (outside probe, finding 3).
  const given = input.jurisdiction_id;
  const jurisdictionId = typeof given === 'string' ? given.trim() : null;
  if (given !== undefined && given !== null && !jurisdictionId)
    problems.add(
      'jurisdiction_id must be the id of one jurisdiction (text); leave it out for a key of every jurisdiction.',
    );
  problems.throwIfAny();
  return { name, role, channel, jurisdictionId };
}
