import crypto from 'node:crypto';
import type { Knex } from 'knex';
import type { Logger } from 'pino';
import { KeyVerifier } from './auth';
import { createCache, createLoadingCache, type LoadingCache } from './cache';
import { Catalog, forgetValidator, type Validators } from './catalog';
import { publishInvalidation, startCacheSync, type CacheKind, type CacheSync } from './cluster';
import type { Config } from './config';
import {
  createLifecycle,
  createSlots,
  outboundFetch,
  type Lifecycle,
  type OutboundFetch,
  type Slots,
} from './core';
import type { Database, ReadReplica } from './db';
import { createMetrics, type Metrics } from './metrics';
import { outboxBacklog } from './notify';
import { Calendars } from './sla';
import { createMediaStorage, type MediaStorage } from './storage';

/** A clock is passed in everywhere time matters, so tests control it and never sleep. */
export type Clock = () => Date;

export type { CacheKind } from './cluster';

export interface AppContext {
  config: Readonly<Config>;
  db: Database;
  /** The primary: writes, reads that must see their own writes, the worker. */
  knex: Knex;
  /**
   * Where public reads go (GeoReport lists, the bulk export, the dashboard, reports): the read replica
   * while it is usable (DATABASE_READ_URL), else the primary. Read it per query: it changes with the lag.
   */
  readonly read: Knex;
  /** The read replica, when DATABASE_READ_URL is set (for /readyz and the metrics). */
  replica: ReadReplica | null;
  metrics: Metrics;
  clock: Clock;
  logger: Logger;
  /** Process caches (all built here, on lru-cache, timed by `clock`): see src/cache.ts. */
  catalog: Catalog;
  keys: KeyVerifier;
  calendars: Calendars;
  validators: Validators;
  /** The dashboard's figures and points (dashboard/figures-cache.ts), by jurisdiction, period and layer. */
  figures: LoadingCache<string, object | string>;
  /** Fetch for addresses users chose (webhooks, catalog import): public addresses only unless configured. */
  outbound: OutboundFetch;
  /** This context's name in cache notifications (several contexts may share one process in tests). */
  origin: string;
  /**
   * Drops what an edit made stale, here at once and (on PostgreSQL) in every other process through
   * NOTIFY: call it after the edit's transaction committed; resolves once the notification is sent.
   */
  invalidate(kind: CacheKind, jurisdictionId?: string): Promise<void>;
  /** Drops what an edit made stale in this process only (a notification from another process). */
  invalidateHere(kind: CacheKind, jurisdictionId?: string): void;
  /** Drops every cache (the LISTEN connection came back: notifications may have been missed). */
  clearCaches(): void;
  /** Where uploaded photos and files are stored (MEDIA_DIR or an S3 bucket). */
  media: MediaStorage;
  /** Images decoded at once by this process (each holds its full-size pixels while re-encoded). */
  imageSlots: Slots;
  /** Whether the process is stopping (SIGTERM): /readyz then answers 503 and answers close their connection. */
  lifecycle: Lifecycle;
}

const SECOND = 1000;
const MINUTE = 60 * SECOND;

export function createContext(deps: {
  config: Readonly<Config>;
  db: Database;
  logger: Logger;
  clock?: Clock;
  replica?: ReadReplica | null;
}): AppContext {
  const clock = deps.clock ?? (() => new Date());
  const knex = deps.db.knex;
  // A catalog entry past its TTL is re-checked against a cheap fingerprint, not reloaded.
  const catalog = new Catalog(
    knex,
    {
      jurisdictions: createLoadingCache(clock, { max: 1, ttlMs: 5 * SECOND }),
      services: createLoadingCache(clock, { max: 1000, ttlMs: 5 * SECOND }),
    },
    deps.config.defaultJurisdiction ?? null,
  );
  const keys = new KeyVerifier(
    knex,
    deps.config.adminApiKey,
    createCache(clock, { max: 10_000, ttlMs: 10 * SECOND }),
  );
  const calendars = new Calendars(knex, createCache(clock, { max: 1000, ttlMs: MINUTE }));
  // Keyed by service id and version, so an edit never needs them dropped; the TTL lets unused ones go.
  const validators: Validators = createCache(clock, {
    max: 1000,
    ttlMs: 60 * MINUTE,
    dispose: forgetValidator,
  });
  const figures = createLoadingCache<string, object | string>(clock, { max: 500, ttlMs: MINUTE });
  const origin = crypto.randomUUID();
  const replica = deps.replica ?? null;
  const metrics = createMetrics({
    pools: () => [poolStats('primary', knex), ...(replica ? [poolStats('replica', replica.db.knex)] : [])],
    ...(replica && { replica: () => replica.state() }),
    backlog: () => outboxBacklog(knex, clock()),
  });
  const invalidateHere = (kind: CacheKind, jurisdictionId?: string): void => {
    switch (kind) {
      case 'catalog':
        catalog.invalidate(jurisdictionId);
        validators.clear();
        return;
      case 'calendar':
        return calendars.invalidate(jurisdictionId);
      case 'keys':
        return keys.clear();
      case 'figures':
        return figures.clear();
    }
  };
  return {
    config: deps.config,
    db: deps.db,
    knex,
    get read() {
      return replica ? replica.pick(knex) : knex;
    },
    replica,
    metrics,
    clock,
    logger: deps.logger,
    catalog,
    keys,
    calendars,
    validators,
    outbound: outboundFetch(deps.config.outboundAllowPrivate),
    figures,
    media: createMediaStorage(deps.config),
    imageSlots: createSlots(2),
    lifecycle: createLifecycle(),
    origin,
    invalidateHere,
    async invalidate(kind, jurisdictionId) {
      invalidateHere(kind, jurisdictionId);
      if (deps.db.kind !== 'postgres') return;
      await publishInvalidation(knex, { kind, jurisdictionId: jurisdictionId ?? null, origin }, deps.logger);
    },
    clearCaches() {
      for (const kind of ['catalog', 'calendar', 'keys', 'figures'] as const) invalidateHere(kind);
    },
  };
}

/** A knex pool's connections (tarn): in use, idle, and callers waiting for one. */
function poolStats(pool: string, knex: Knex) {
  const p = (
    knex.client as { pool?: Partial<Record<'numUsed' | 'numFree' | 'numPendingAcquires', () => number>> }
  ).pool;
  return {
    pool,
    used: p?.numUsed?.() ?? 0,
    free: p?.numFree?.() ?? 0,
    waiting: p?.numPendingAcquires?.() ?? 0,
  };
}

/**
 * Listens for other processes' cache notifications (PostgreSQL; null on the embedded database, which one
 * process holds). Bootstrap starts it for the server, the worker and the CLI, and stops it on close.
 */
export function syncCaches(ctx: AppContext): CacheSync | null {
  const connect = ctx.db.newClient;
  if (ctx.db.kind !== 'postgres' || !connect) return null;
  return startCacheSync({
    connect,
    origin: ctx.origin,
    apply: (kind, jurisdictionId) => ctx.invalidateHere(kind, jurisdictionId),
    clearAll: () => ctx.clearCaches(),
    logger: ctx.logger,
  });
}
