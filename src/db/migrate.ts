import path from 'node:path';
import type { Knex } from 'knex';

/**
 * Migrations live in /migrations as TypeScript; run from source (tsx, jest) they load as .ts, and from
 * the compiled build (dist/) as .js. The directory is found relative to this file in both layouts.
 */
export function migrationConfig(): Knex.MigratorConfig {
  return {
    directory: path.resolve(__dirname, '../../migrations'),
    loadExtensions: [path.extname(__filename)],
    tableName: 'knex_migrations',
  };
}

export async function migrateLatest(knex: Knex): Promise<string[]> {
  const [, applied] = (await knex.migrate.latest(migrationConfig())) as [number, string[]];
  return applied;
}

export async function migrateRollback(knex: Knex, all = false): Promise<string[]> {
  const [, undone] = (await knex.migrate.rollback(migrationConfig(), all)) as [number, string[]];
  return undone;
}

export async function migrationStatus(knex: Knex): Promise<{ done: string[]; pending: string[] }> {
  const [done, pending] = (await knex.migrate.list(migrationConfig())) as [
    Array<{ name: string }>,
    Array<{ file: string }>,
  ];
  return { done: done.map((m) => m.name), pending: pending.map((m) => m.file) };
}
