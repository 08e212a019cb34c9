import crypto from 'node:crypto';
import fs from 'node:fs';
import knexFactory from 'knex';
import { openDatabase, type Database } from '../../src/db/connect';
import { embeddedDumpPath, postgresUrl, templateName, usePostgres } from './template';

/** A fresh copy of the template for one test file: a loaded PGlite dump, or a cloned PostgreSQL database. */
export async function openTestDatabase(): Promise<Database> {
  if (!usePostgres()) {
    return openDatabase({ kind: 'embedded', loadDataDir: new Blob([fs.readFileSync(embeddedDumpPath())]) });
  }
  const name = `open311_t_${process.pid}_${crypto.randomBytes(4).toString('hex')}`;
  const admin = knexFactory({ client: 'pg', connection: postgresUrl(), pool: { min: 0, max: 1 } });
  await admin.raw(`CREATE DATABASE "${name}" TEMPLATE "${templateName()}"`);
  await admin.destroy();
  const url = new URL(postgresUrl());
  url.pathname = `/${name}`;
  const db = await openDatabase({ kind: 'postgres', url: url.toString(), poolMax: 5 });
  return {
    ...db,
    close: async () => {
      await db.close();
      const cleanup = knexFactory({ client: 'pg', connection: postgresUrl(), pool: { min: 0, max: 1 } });
      await cleanup.raw(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
      await cleanup.destroy();
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
