import crypto from 'node:crypto';
import type { Knex } from 'knex';
import type { Cache } from '../cache';
import { findActiveKey, hashKey, type ApiKey } from './api-keys';

/** A looked-up key by its hash; `{ key: null }` remembers that a presented key is unknown or revoked. */
export type KeyCache = Cache<string, { key: ApiKey | null }>;

/**
 * Looks up a presented key. Results are cached for a few seconds (the cache's TTL, built in
 * `createContext`) so a burst of POSTs costs one query; revocation through this process clears the cache
 * at once, other processes see it within the TTL.
 */
export class KeyVerifier {
  private readonly adminHash: Buffer | null;

  constructor(
    private readonly knex: Knex,
    adminApiKey: string | null,
    private readonly cache: KeyCache,
  ) {
    this.adminHash = adminApiKey ? Buffer.from(hashKey(adminApiKey), 'hex') : null;
  }

  clear(): void {
    this.cache.clear();
  }

  async verify(secret: string): Promise<ApiKey | null> {
    if (secret.length < 8 || secret.length > 200) return null;
    const hash = hashKey(secret);
    if (this.adminHash && crypto.timingSafeEqual(this.adminHash, Buffer.from(hash, 'hex'))) {
      return {
        id: null,
        name: 'ADMIN_API_KEY',
        prefix: '',
        role: 'admin',
        channel: 'staff',
        jurisdictionId: null,
        createdAt: null,
        revokedAt: null,
        lastUsedAt: null,
      };
    }
    const hit = this.cache.get(hash);
    if (hit) return hit.key;
    const key = await findActiveKey(this.knex, secret);
    this.cache.set(hash, { key });
    return key;
  }
}
