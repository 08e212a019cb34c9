import type { Knex } from 'knex';
import type { Logger } from 'pino';
import { KeyVerifier } from './auth';
import { Catalog } from './catalog';
import type { Config } from './config';
import type { Database } from './db/connect';

/** A clock is passed in everywhere time matters, so tests control it and never sleep. */
export type Clock = () => Date;

export interface AppContext {
  config: Readonly<Config>;
  db: Database;
  knex: Knex;
  clock: Clock;
  logger: Logger;
  catalog: Catalog;
  keys: KeyVerifier;
}

export function createContext(deps: {
  config: Readonly<Config>;
  db: Database;
  logger: Logger;
  clock?: Clock;
}): AppContext {
  const clock = deps.clock ?? (() => new Date());
  const nowMs = () => clock().getTime();
  return {
    config: deps.config,
    db: deps.db,
    knex: deps.db.knex,
    clock,
    logger: deps.logger,
    catalog: new Catalog(deps.db.knex, nowMs, 5000, deps.config.defaultJurisdiction ?? null),
    keys: new KeyVerifier(deps.db.knex, deps.config.adminApiKey, nowMs),
  };
}
