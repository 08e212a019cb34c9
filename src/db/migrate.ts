import fs from 'node:fs';
import path from 'node:path';
import type { Knex } from 'knex';

const DIRECTORY = path.resolve(__dirname, '../../migrations');
const EXTENSION = path.extname(__filename); // .ts from source (tsx, jest), .js from the build (dist/)

/**
 * Migrations live in /migrations as TypeScript and compile to dist/migrations as JavaScript. knex would
 * record each file name with its extension, so a database migrated from source would look "corrupt" to
 * the build; this source names migrations without the extension, so both run against the same database.
 */
class MigrationSource implements Knex.MigrationSource<string> {
  async getMigrations(): Promise<string[]> {
    return fs
      .readdirSync(DIRECTORY)
      .filter((f) => f.endsWith(EXTENSION) && !f.endsWith('.d.ts'))
      .map((f) => path.basename(f, EXTENSION))
      .sort();
  }
  getMigrationName(name: string): string {
    return name;
  }
  async getMigration(name: string): Promise<Knex.Migration> {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    return require(path.join(DIRECTORY, `${name}${EXTENSION}`)) as Knex.Migration;
  }
}

export function migrationConfig(): Knex.MigratorConfig {
  return { migrationSource: new MigrationSource(), tableName: 'knex_migrations' };
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
  const [done, pending] = (await knex.migrate.list(migrationConfig())) as [Array<{ name: string }>, string[]];
  return { done: done.map((m) => m.name), pending: pending.map(String) };
}
