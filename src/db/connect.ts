/**
 * One knex instance over either PostgreSQL (`pg`, pooled) or the embedded PGlite with PostGIS
 * (`knex-pglite`, a single connection: knex queues queries on it). Both run the same migrations.
 */
import fs from 'node:fs';
import knexFactory, { type Knex } from 'knex';
import { PGlite, type Extension } from '@electric-sql/pglite';
import { postgis } from '@electric-sql/pglite-postgis';
import ClientPgLite from 'knex-pglite';
import pg from 'pg';

// The package ships a CommonJS build of its contrib extensions but declares their types as ESM only.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { pg_trgm } = require('@electric-sql/pglite/contrib/pg_trgm') as { pg_trgm: Extension };

export type DatabaseKind = 'embedded' | 'postgres';

export interface Database {
  knex: Knex;
  kind: DatabaseKind;
  /** Human-readable target without credentials, for logs. */
  describe: string;
  close(): Promise<void>;
}

export type DatabaseTarget =
  | { kind: 'postgres'; url: string; poolMax?: number }
  | { kind: 'embedded'; dataDir?: string; loadDataDir?: Blob };

// int8 (counts, ids) and numeric come back as strings from pg; parse the ones that always fit in a double
// so both drivers return the same JS types. Ids are rendered with ::text in SQL anyway.
pg.types.setTypeParser(pg.types.builtins.INT8, (v) => Number(v));
pg.types.setTypeParser(pg.types.builtins.NUMERIC, (v) => Number(v));

export async function openDatabase(target: DatabaseTarget): Promise<Database> {
  if (target.kind === 'postgres') {
    const knex = knexFactory({
      client: 'pg',
      connection: { connectionString: target.url, application_name: 'open311-server' },
      pool: { min: 0, max: target.poolMax ?? 10 },
      acquireConnectionTimeout: 10_000,
    });
    return { knex, kind: 'postgres', describe: redactUrl(target.url), close: () => knex.destroy() };
  }
  if (target.dataDir) fs.mkdirSync(target.dataDir, { recursive: true });
  const pglite = await PGlite.create({
    ...(target.dataDir ? { dataDir: target.dataDir } : {}),
    ...(target.loadDataDir ? { loadDataDir: target.loadDataDir } : {}),
    extensions: { postgis, pg_trgm },
  });
  const knex = knexFactory({ client: ClientPgLite, connection: { pglite } as never });
  return {
    knex,
    kind: 'embedded',
    describe: target.dataDir ? `embedded PGlite at ${target.dataDir}` : 'embedded PGlite (in memory)',
    // knex-pglite closes the PGlite instance when the pool is destroyed.
    close: async () => {
      await knex.destroy();
      if (!pglite.closed) await pglite.close();
    },
  };
}

/** Dumps an embedded database's data dir (used to give each test worker a pre-migrated copy). */
export async function dumpEmbedded(db: Database): Promise<Blob> {
  const client = (await db.knex.client.acquireConnection()) as PGlite;
  try {
    return (await client.dumpDataDir('gzip')) as Blob;
  } finally {
    await db.knex.client.releaseConnection(client);
  }
}

export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    return `postgres://${u.hostname}${u.port ? `:${u.port}` : ''}${u.pathname}`;
  } catch {
    return 'postgres://(unparseable url)';
  }
}
