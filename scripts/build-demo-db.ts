/**
 * `npm run build:demo-db`: builds the pre-built demo database (src/demo/prebuilt.ts) into
 * seeds/demo/prebuilt/: an embedded database in memory, migrated, with the demo city's place loaded,
 * checkpointed and dumped with PGlite's dumpDataDir (gzip), and a manifest naming the hash of its inputs.
 * Run it after adding a migration or changing the demo seeds or their importers (the server refuses a
 * stale artefact and takes the slow path). Deterministic in content, not in bytes (the dump holds
 * transaction ids and timestamps).
 */
import fs from 'node:fs';
import path from 'node:path';
import type { PGlite } from '@electric-sql/pglite';
import { dumpEmbedded, openDatabase } from '../src/db/connect';
import { migrateLatest } from '../src/db/migrate';
import { loadDemoPlace } from '../src/demo/load-demo';
import {
  PREBUILT_DATA,
  PREBUILT_DIR,
  PREBUILT_MANIFEST,
  prebuiltKey,
  type PrebuiltManifest,
} from '../src/demo/prebuilt';

/**
 * After a checkpoint only the WAL segment holding it is needed; the others are old or recycled
 * (16 MB each of stale records that would not compress): removed from the dump.
 */
async function pruneWal(pglite: PGlite): Promise<number> {
  await pglite.exec('CHECKPOINT');
  const current = (await pglite.query<{ f: string }>('SELECT pg_walfile_name(pg_current_wal_lsn()) f'))
    .rows[0]?.f;
  if (!current) throw new Error('no current WAL segment');
  const { FS, ENV } = (pglite as unknown as { mod: { FS: EmscriptenFs; ENV: Record<string, string> } }).mod;
  const walDir = `${ENV.PGDATA}/pg_wal`;
  let removed = 0;
  for (const name of FS.readdir(walDir)) {
    if (/^[0-9A-F]{24}$/.test(name) && name !== current) {
      FS.unlink(`${walDir}/${name}`);
      removed += 1;
    }
  }
  return removed;
}

interface EmscriptenFs {
  readdir(path: string): string[];
  unlink(path: string): void;
}

async function main(): Promise<void> {
  const key = prebuiltKey();
  if (!key) throw new Error('cannot hash the inputs (run from a checkout with src/ and node_modules/)');
  const t0 = Date.now();
  const builtAt = new Date();
  const db = await openDatabase({ kind: 'embedded' });
  try {
    await migrateLatest(db.knex);
    const place = await loadDemoPlace(db.knex, builtAt);
    await db.knex.raw('VACUUM ANALYZE');
    const pglite = (await db.knex.client.acquireConnection()) as PGlite;
    let removed: number;
    try {
      removed = await pruneWal(pglite);
    } finally {
      await db.knex.client.releaseConnection(pglite);
    }
    const data = Buffer.from(await (await dumpEmbedded(db)).arrayBuffer());
    fs.mkdirSync(PREBUILT_DIR, { recursive: true });
    fs.writeFileSync(`${PREBUILT_DATA}.tmp`, data);
    fs.renameSync(`${PREBUILT_DATA}.tmp`, PREBUILT_DATA);
    const manifest: PrebuiltManifest = { key, builtAt: builtAt.toISOString(), bytes: data.length };
    fs.writeFileSync(PREBUILT_MANIFEST, `${JSON.stringify(manifest, null, 2)}\n`);
    console.log(
      `${path.relative(process.cwd(), PREBUILT_DATA)}: ${(data.length / 1048576).toFixed(1)} MB (${place.addresses} addresses, ${place.services} services; ${removed} spare WAL segments left out) in ${((Date.now() - t0) / 1000).toFixed(0)} s`,
    );
  } finally {
    await db.close();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
