import crypto from 'node:crypto';
import type { Knex } from 'knex';
import { findActiveKey, hashKey, type ApiKey } from './api-keys';

/**
 * Looks up a presented key. Results are cached for a few seconds so a burst of POSTs costs one query;
 * revocation through this process clears the cache at once, other processes see it within `ttlMs`.
 */
export class KeyVerifier {
  private readonly cache = new Map<string, { key: ApiKey | null; at: number }>();
  private readonly adminHash: Buffer | null;

  constructor(
    private readonly knex: Knex,
    adminApiKey: string | null,
    private readonly now: () => number = Date.now,
    private readonly ttlMs = 10_000,
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
    if (hit && this.now() - hit.at < this.ttlMs) return hit.key;
    const key = await findActiveKey(this.knex, secret);
    if (this.cache.size > 10_000) this.cache.clear();
    this.cache.set(hash, { key, at: this.now() });
    return key;
  }
}
