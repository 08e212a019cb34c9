import crypto from 'node:crypto';
import fs from 'node:fs';
import knexFactory from 'knex';
import { openDatabase, type Database } from '../../src/db/connect';
import { embeddedDumpPath, postgresUrl, templateName, usePostgres } from './template';

/**
 * A PostgreSQL database of its own for one test file, beside the test database: a clone of the migrated
 * demo template (`from: 'template'`) or an empty one (`from: 'empty'`). `drop` removes it even while
 * something is still connected.
 */
export async function scratchPostgresDatabase(
  prefix: string,
  from: 'template' | 'empty',
): Promise<{ url: string; drop: () => Promise<void> }> {
  const name = `open311_${prefix}_${process.pid}_${crypto.randomBytes(4).toString('hex')}`;
  const admin = knexFactory({ client: 'pg', connection: postgresUrl(), pool: { min: 0, max: 1 } });
  try {
    await admin.raw(
      from === 'template'
        ? `CREATE DATABASE "${name}" TEMPLATE "${templateName()}"`
        : `CREATE DATABASE "${name}"`,
    );
  } finally {
    await admin.destroy();
  }
  const url = new URL(postgresUrl());
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    drop: async () => {
      const cleanup = knexFactory({ client: 'pg', connection: postgresUrl(), pool: { min: 0, max: 1 } });
      try {
        await cleanup.raw(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
      } finally {
        await cleanup.destroy();
      }
    },
  };
}

/** A fresh copy of the template for one test file: a loaded PGlite dump, or a cloned PostgreSQL database. */
export async function openTestDatabase(): Promise<Database> {
  if (!usePostgres()) {
    return openDatabase({ kind: 'embedded', loadDataDir: new Blob([fs.readFileSync(embeddedDumpPath())]) });
  }
  const scratch = await scratchPostgresDatabase('t', 'template');
  const db = await openDatabase({ kind: 'postgres', url: scratch.url, poolMax: 5 });
  return {
    ...db,
    close: async () => {
      await db.close();
      await scratch.drop();
    },
  };
}

/** Empties what tests write (requests and their history, keys), keeping the demo city's geography and catalog. */
export async function resetWrites(db: Database): Promise<void> {
  await db.knex.raw(
    'TRUNCATE request_history, request_contacts, request_tokens, request_escalations, request_sla_pauses, surveys, service_requests, webhook_deliveries, outbox, api_keys RESTART IDENTITY CASCADE',
  );
  await db.knex.raw("SELECT setval(pg_get_serial_sequence('service_requests', 'id'), 100000)");
}
