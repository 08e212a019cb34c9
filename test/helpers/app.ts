import type { Express } from 'express';
import pino from 'pino';
import { createApp } from '../../src/app';
import { createApiKey, type Channel, type Role } from '../../src/auth';
import { loadConfig, type Config } from '../../src/config';
import { createContext, type AppContext } from '../../src/context';
import type { Database } from '../../src/db/connect';
import { openTestDatabase } from './db';

export const ADMIN_KEY = 'test-admin-key-0123456789';

/** A clock tests move by hand: nothing ever sleeps to let time pass. */
export class TestClock {
  constructor(public current: Date = new Date('2026-11-23T15:00:00Z')) {}
  now = (): Date => new Date(this.current);
  set(iso: string): void {
    this.current = new Date(iso);
  }
  advance(ms: number): void {
    this.current = new Date(this.current.getTime() + ms);
  }
}

export interface TestServer {
  app: Express;
  ctx: AppContext;
  db: Database;
  clock: TestClock;
  key(role?: Role, channel?: Channel): Promise<string>;
  close(): Promise<void>;
}

export async function startTestServer(
  env: Record<string, string> = {},
  overrides: Partial<Config> = {},
): Promise<TestServer> {
  const db = await openTestDatabase();
  const config = { ...loadConfig({ ADMIN_API_KEY: ADMIN_KEY, LOG_LEVEL: 'silent', ...env }), ...overrides };
  const clock = new TestClock();
  const ctx = createContext({ config, db, logger: pino({ level: 'silent' }), clock: clock.now });
  return {
    app: createApp(ctx),
    ctx,
    db,
    clock,
    key: async (role: Role = 'client', channel: Channel = 'mobile') =>
      (await createApiKey(db.knex, { name: `test ${role} ${channel}`, role, channel }, clock.now())).secret,
    close: () => db.close(),
  };
}
