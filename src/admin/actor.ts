import type { Response } from 'express';
import { apiKeyOf } from '../http';
import type { Actor } from '../requests';

/** Who made an admin change: the key's name for catalog versions, the full actor for request history. */
export function adminActor(res: Response): { label: string; actor: Actor } {
  const key = apiKeyOf(res);
  const label = key.id === null ? 'admin (ADMIN_API_KEY)' : `api key ${key.id} (${key.name})`;
  return {
    label,
    actor: {
      type: 'api_key',
      id: key.id === null ? null : String(key.id),
      label: key.name,
      channel: key.channel,
    },
  };
}
