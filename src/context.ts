import type { Knex } from 'knex';
import type { Logger } from 'pino';
import { KeyVerifier } from './auth';
import { createCache, createLoadingCache, type LoadingCache } from './cache';
import { Catalog, forgetValidator, type Validators } from './catalog';
import type { Config } from './config';
import { createSlots, type Slots } from './core';
import type { Database } from './db';
import { Calendars } from './sla';
import { createMediaStorage, type MediaStorage } from './storage';

/** A clock is passed in everywhere time matters, so tests control it and never sleep. */
export type Clock = () => Date;

/** What an edit can make stale; `jurisdictionId` narrows it where the cache is kept per jurisdiction. */
export type CacheKind = 'catalog' | 'calendar' | 'keys' | 'figures';

export interface AppContext {
  config: Readonly<Config>;
  db: Database;
  knex: Knex;
  clock: Clock;
  logger: Logger;
  /** Process caches (all built here, on lru-cache, timed by `clock`): see src/cache.ts. */
  catalog: Catalog;
  keys: KeyVerifier;
  calendars: Calendars;
  validators: Validators;
  /** The dashboard's figures and points (dashboard/figures-cache.ts), by jurisdiction, period and layer. */
  figures: LoadingCache<string, object | string>;
  /** Where uploaded photos and files are stored (MEDIA_DIR or an S3 bucket). */
  media: MediaStorage;
  /** Images decoded at once by this process (each holds its full-size pixels while re-encoded). */
  imageSlots: Slots;
  /** Drops what an edit made stale: the one entry point for edits made here or (later) in another process. */
  invalidate(kind: CacheKind, jurisdictionId?: string): void;
}

const SECOND = 1000;
const MINUTE = 60 * SECOND;

export function createContext(deps: {
  config: Readonly<Config>;
  db: Database;
  logger: Logger;
  clock?: Clock;
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
  return {
    config: deps.config,
    db: deps.db,
    knex,
    clock,
    logger: deps.logger,
    catalog,
    keys,
    calendars,
    validators,
    figures,
    media: createMediaStorage(deps.config),
    imageSlots: createSlots(2),
    invalidate(kind, jurisdictionId) {
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
    },
  };
}
