/**
 * `open311 migrate status` reports, never applies: run in-process on a database with no migrations
 * applied, it must count them all as pending (it used to migrate first and always report 0 pending).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { buildProgram } from '../src/cli/program';
import { usePostgres } from './helpers/template';
import { scratchPostgresDatabase } from './helpers/db';

const MIGRATIONS = fs
  .readdirSync(path.resolve(__dirname, '../migrations'))
  .filter((f) => f.endsWith('.ts')).length;

/** An empty database for this file: a new PostgreSQL database, or a fresh embedded data dir. */
async function emptyDatabase(): Promise<{ env: Record<string, string>; drop(): Promise<void> }> {
  if (!usePostgres()) {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'open311-cli-'));
    return { env: { DATA_DIR: dir }, drop: async () => fs.rmSync(dir, { recursive: true, force: true }) };
  }
  const scratch = await scratchPostgresDatabase('cli', 'empty');
  return { env: { DATABASE_URL: scratch.url }, drop: scratch.drop };
}

/** Runs one command in-process and returns what it printed. */
async function cli(env: Record<string, string>, ...args: string[]): Promise<string> {
  const lines: string[] = [];
  const log = jest.spyOn(console, 'log').mockImplementation((...a: unknown[]) => {
    lines.push(a.join(' '));
  });
  try {
    await buildProgram({ LOG_LEVEL: 'silent', ...env }).parseAsync(['node', 'open311', ...args]);
  } finally {
    log.mockRestore();
  }
  return lines.join('\n');
}

describe('open311 migrate status', () => {
  let db: Awaited<ReturnType<typeof emptyDatabase>>;
  beforeAll(async () => {
    db = await emptyDatabase();
  });
  afterAll(() => db.drop());

  test('when no migration is applied, then status counts every one pending and applies none', async () => {
    expect(MIGRATIONS).toBeGreaterThan(0);
    expect(await cli(db.env, 'migrate', 'status')).toBe(`applied: 0, pending: ${MIGRATIONS}`);
    // Asked twice: the first call changed nothing.
    expect(await cli(db.env, 'migrate', 'status')).toBe(`applied: 0, pending: ${MIGRATIONS}`);
  });

  test('when MIGRATE_ON_START is on (the default), status still does not migrate', async () => {
    expect(await cli({ ...db.env, MIGRATE_ON_START: 'true' }, 'migrate', 'status')).toBe(
      `applied: 0, pending: ${MIGRATIONS}`,
    );
  });

  // Applying every migration takes PGlite about 20 s; PostgreSQL runs the same command path in under one.
  (usePostgres() ? test : test.skip)(
    'after latest and one rollback, then status reports what the rollback undid as pending',
    async () => {
      const [head, ...applied] = (await cli(db.env, 'migrate', 'latest')).split('\n');
      expect(head).toBe(`applied ${MIGRATIONS} of ${MIGRATIONS}:`);
      expect(applied).toHaveLength(MIGRATIONS);
      expect(await cli(db.env, 'migrate', 'status')).toBe(`applied: ${MIGRATIONS}, pending: 0`);
      // A second run says there was nothing to do rather than listing every migration again.
      expect(await cli(db.env, 'migrate', 'latest')).toBe(`already up to date (${MIGRATIONS} applied)`);
      const undone = (await cli(db.env, 'migrate', 'rollback')).split('\n').filter(Boolean);
      expect(undone.length).toBeGreaterThan(0);
      expect(await cli(db.env, 'migrate', 'status')).toBe(
        `applied: ${MIGRATIONS - undone.length}, pending: ${undone.length}`,
      );
    },
  );
});
