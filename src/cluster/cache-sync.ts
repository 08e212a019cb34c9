/**
 * Cache invalidation across processes (issue #20.1). An edit drops the local caches and sends a
 * PostgreSQL NOTIFY on one channel, after its transaction committed; every process LISTENs on one
 * dedicated connection (not from the pool, which would hand it to queries) and drops the same entries.
 * A notification can be missed while that connection is down, so after a reconnect every cache is
 * cleared; the caches' TTLs remain the last fallback.
 */
import type { Knex } from 'knex';
import type pg from 'pg';
import type { Logger } from 'pino';

export const CACHE_CHANNEL = 'open311_cache';

export const CACHE_KINDS = ['catalog', 'calendar', 'keys', 'figures'] as const;
/** What an edit can make stale; `jurisdictionId` narrows it where the cache is kept per jurisdiction. */
export type CacheKind = (typeof CACHE_KINDS)[number];

export interface Invalidation {
  kind: CacheKind;
  jurisdictionId: string | null;
  /** The sending process (its context), which has dropped its own entries already. */
  origin: string;
}

/** Tells the other processes; resolves once sent. Never throws: their TTL is the fallback. */
export async function publishInvalidation(knex: Knex, message: Invalidation, logger: Logger): Promise<void> {
  try {
    await knex.raw('SELECT pg_notify(?, ?)', [CACHE_CHANNEL, JSON.stringify(message)]);
  } catch (err) {
    logger.warn({ err, kind: message.kind }, 'cache invalidation not sent to other processes');
  }
}

/** A notification's payload, or null when it is not one of ours (never trusted blindly). */
export function parseInvalidation(payload: string | undefined): Invalidation | null {
  try {
    const m = JSON.parse(payload ?? '') as Record<string, unknown>;
    if (!(CACHE_KINDS as readonly unknown[]).includes(m.kind)) return null;
    if (m.jurisdictionId !== null && typeof m.jurisdictionId !== 'string') return null;
    if (typeof m.origin !== 'string') return null;
    return { kind: m.kind as CacheKind, jurisdictionId: m.jurisdictionId, origin: m.origin };
  } catch {
    return null;
  }
}

export interface CacheSyncOptions {
  /** A new client for the dedicated connection (db.newClient). */
  connect: () => pg.Client;
  origin: string;
  /** Drops what another process's edit made stale, here. */
  apply: (kind: CacheKind, jurisdictionId: string | undefined) => void;
  /** Drops everything (after a reconnect: notifications may have been missed). */
  clearAll: () => void;
  logger: Logger;
  /** Reconnect back-off: doubles from `minMs` to `maxMs`. */
  minBackoffMs?: number;
  maxBackoffMs?: number;
}

export interface CacheSync {
  /** Resolves when the first LISTEN is in place (or the first attempt failed; it keeps retrying). */
  ready: Promise<void>;
  /** True while the LISTEN connection is up. */
  listening(): boolean;
  stop(): Promise<void>;
}

export function startCacheSync(opts: CacheSyncOptions): CacheSync {
  const minMs = opts.minBackoffMs ?? 250;
  const maxMs = opts.maxBackoffMs ?? 10_000;
  let client: pg.Client | null = null;
  let up = false;
  let stopped = false;
  let attempts = 0;
  let backoff = minMs;
  let timer: NodeJS.Timeout | null = null;

  const retry = () => {
    if (stopped || timer) return;
    timer = setTimeout(() => {
      timer = null;
      void connect();
    }, backoff);
    timer.unref();
    backoff = Math.min(backoff * 2, maxMs);
  };

  const connect = async (): Promise<void> => {
    const first = attempts++ === 0;
    const c = opts.connect();
    client = c;
    let failed = false;
    const fail = (err?: Error) => {
      if (failed) return;
      failed = true;
      up = false;
      if (!stopped) opts.logger.warn({ err }, 'cache sync connection lost: reconnecting');
      c.removeAllListeners('notification');
      void c.end().catch(() => {});
      retry();
    };
    c.on('error', fail);
    c.on('end', () => fail());
    c.on('notification', (n) => {
      if (n.channel !== CACHE_CHANNEL) return;
      const m = parseInvalidation(n.payload);
      if (m && m.origin !== opts.origin) opts.apply(m.kind, m.jurisdictionId ?? undefined);
    });
    try {
      await c.connect();
      await c.query(`LISTEN ${CACHE_CHANNEL}`);
    } catch (err) {
      fail(err as Error);
      return;
    }
    if (stopped) {
      await c.end().catch(() => {});
      return;
    }
    up = true;
    backoff = minMs;
    if (!first) {
      opts.logger.info('cache sync reconnected: caches cleared');
      opts.clearAll();
    }
  };

  const ready = connect();
  return {
    ready,
    listening: () => up,
    stop: async () => {
      stopped = true;
      up = false;
      if (timer) clearTimeout(timer);
      await ready;
      await client?.end().catch(() => {});
    },
  };
}
