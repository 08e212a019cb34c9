/**
 * An express-rate-limit store whose counters live in PostgreSQL (table rate_limit_hits), so every API
 * process counts against one limit (issue #20.1). A fixed window per key, like the memory store: one
 * atomic upsert starts a window or counts a hit in the current one, and returns the count and the reset
 * time. Times come from the injected clock, so tests move windows by hand.
 */
import type { Knex } from 'knex';
import type { ClientRateLimitInfo, Options, Store } from 'express-rate-limit';

export class DatabaseRateLimitStore implements Store {
  readonly localKeys = false;
  private windowMs = 60_000;
  private prunedAt = -Infinity;

  constructor(
    private readonly knex: Knex,
    private readonly clock: () => Date,
    /** Keeps the keys of different limiters apart in the one table. */
    readonly prefix: string,
  ) {}

  init(options: Options): void {
    this.windowMs = options.windowMs;
  }

  /** Counts `by` hits at once (1 for express-rate-limit; more when a process reserves a block of hits). */
  async increment(key: string, by = 1): Promise<ClientRateLimitInfo> {
    const now = this.clock();
    await this.prune(now);
    const { rows } = (await this.knex.raw(
      `INSERT INTO rate_limit_hits AS r (key, hits, reset_at) VALUES (?, ?::int, ?)
       ON CONFLICT (key) DO UPDATE SET
         hits = CASE WHEN r.reset_at <= ? THEN EXCLUDED.hits ELSE r.hits + EXCLUDED.hits END,
         reset_at = CASE WHEN r.reset_at <= ? THEN EXCLUDED.reset_at ELSE r.reset_at END
       RETURNING hits, reset_at`,
      [this.prefix + key, by, new Date(now.getTime() + this.windowMs), now, now],
    )) as { rows: Array<{ hits: number; reset_at: Date }> };
    const row = rows[0]!;
    return { totalHits: row.hits, resetTime: new Date(row.reset_at) };
  }

  async get(key: string): Promise<ClientRateLimitInfo | undefined> {
    const row = (await this.knex('rate_limit_hits')
      .where('key', this.prefix + key)
      .where('reset_at', '>', this.clock())
      .first('hits', 'reset_at')) as { hits: number; reset_at: Date } | undefined;
    return row && { totalHits: row.hits, resetTime: new Date(row.reset_at) };
  }

  async decrement(key: string): Promise<void> {
    await this.knex.raw('UPDATE rate_limit_hits SET hits = GREATEST(hits - 1, 0) WHERE key = ?', [
      this.prefix + key,
    ]);
  }

  async resetKey(key: string): Promise<void> {
    await this.knex.raw('DELETE FROM rate_limit_hits WHERE key = ?', [this.prefix + key]);
  }

  /** Drops windows that ended, at most once per window per process: the table holds live keys only. */
  private async prune(now: Date): Promise<void> {
    if (now.getTime() - this.prunedAt < this.windowMs) return;
    this.prunedAt = now.getTime();
    await this.knex.raw('DELETE FROM rate_limit_hits WHERE key LIKE ? AND reset_at <= ?', [
      `${this.prefix.replace(/[\\%_]/g, '\\$&')}%`,
      now,
    ]);
  }
}
