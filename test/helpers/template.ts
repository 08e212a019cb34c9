/**
 * The test database template: migrations + the Boston demo city, built once and reused while the
 * migrations and seeds are unchanged (a content hash names it). Embedded: a PGlite data-dir dump in
 * .test-cache/. PostgreSQL: a template database that each test file clones (CREATE DATABASE ... TEMPLATE).
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import knexFactory from 'knex';
import { dumpEmbedded, openDatabase } from '../../src/db/connect';
import { migrateLatest } from '../../src/db/migrate';
import { loadDemoCity } from '../../src/demo/load-demo';

const ROOT = path.resolve(__dirname, '../..');
export const CACHE_DIR = path.join(ROOT, '.test-cache');
/** Demo requests are loaded relative to this instant, so tests that count them are stable. */
export const TEMPLATE_NOW = new Date('2026-11-20T15:00:00Z');

/** Every file under `dirs` (relative to `root`), recursively, sorted by path. */
function listFiles(root: string, dirs: readonly string[]): string[] {
  const out: string[] = [];
  const walk = (rel: string) => {
    const full = path.join(root, rel);
    if (!fs.existsSync(full)) return;
    if (fs.statSync(full).isFile()) out.push(rel);
    else for (const name of fs.readdirSync(full)) walk(path.join(rel, name));
  };
  for (const d of dirs) walk(d);
  return out.map((f) => f.split(path.sep).join('/')).sort();
}

/**
 * A content hash of every file under `dirs`: paths relative to `root` (so worktrees and checkouts agree)
 * and contents. Any change to the code that builds the template (or to anything it imports) renames it.
 */
export function hashTree(root: string, dirs: readonly string[]): string {
  const h = crypto.createHash('sha256');
  for (const f of listFiles(root, dirs)) {
    h.update(f)
      .update('\0')
      .update(fs.readFileSync(path.join(root, f)))
      .update('\0');
  }
  return h.digest('hex').slice(0, 16);
}

export const TEMPLATE_INPUTS = ['src', 'migrations', 'seeds'] as const;

let memo: string | undefined;
function hashInputs(): string {
  memo ??= hashTree(ROOT, TEMPLATE_INPUTS);
  return memo;
}

export const usePostgres = () => process.env.TEST_DB === 'postgres';

export function postgresUrl(): string {
  const url = process.env.TEST_DATABASE_URL;
  if (!url) throw new Error('TEST_DB=postgres needs TEST_DATABASE_URL');
  return url;
}

export function templateName(): string {
  return `open311_tpl_${hashInputs()}`;
}

export function embeddedDumpPath(): string {
  return path.join(CACHE_DIR, `embedded-${hashInputs()}.tgz`);
}

export async function buildEmbeddedTemplate(): Promise<string> {
  const file = embeddedDumpPath();
  if (fs.existsSync(file)) return file;
  fs.mkdirSync(CACHE_DIR, { recursive: true });
  for (const old of fs.readdirSync(CACHE_DIR))
    if (old.startsWith('embedded-')) fs.rmSync(path.join(CACHE_DIR, old));
  const db = await openDatabase({ kind: 'embedded' });
  try {
    await migrateLatest(db.knex);
    await loadDemoCity(db.knex, TEMPLATE_NOW);
    await db.knex.raw('VACUUM ANALYZE');
    const blob = await dumpEmbedded(db);
    fs.writeFileSync(`${file}.tmp`, Buffer.from(await blob.arrayBuffer()));
    fs.renameSync(`${file}.tmp`, file);
  } finally {
    await db.close();
  }
  return file;
}

export async function buildPostgresTemplate(): Promise<string> {
  const name = templateName();
  const admin = knexFactory({ client: 'pg', connection: postgresUrl(), pool: { min: 0, max: 1 } });
  try {
    const exists = await admin.raw('SELECT 1 FROM pg_database WHERE datname = ?', [name]);
    if (exists.rows.length > 0) return name;
    const old = await admin.raw(
      "SELECT datname FROM pg_database WHERE datname LIKE 'open311\\_tpl\\_%' OR datname LIKE 'open311\\_t\\_%'",
    );
    for (const r of old.rows as Array<{ datname: string }>) {
      await admin.raw(`DROP DATABASE IF EXISTS "${r.datname}" WITH (FORCE)`);
    }
    const building = `${name}_building`;
    await admin.raw(`DROP DATABASE IF EXISTS "${building}" WITH (FORCE)`);
    await admin.raw(`CREATE DATABASE "${building}"`);
    const url = new URL(postgresUrl());
    url.pathname = `/${building}`;
    const db = await openDatabase({ kind: 'postgres', url: url.toString(), poolMax: 2 });
    try {
      await migrateLatest(db.knex);
      await loadDemoCity(db.knex, TEMPLATE_NOW);
      await db.knex.raw('VACUUM ANALYZE');
    } finally {
      await db.close();
    }
    await admin.raw(`ALTER DATABASE "${building}" RENAME TO "${name}"`);
    return name;
  } finally {
    await admin.destroy();
  }
}
