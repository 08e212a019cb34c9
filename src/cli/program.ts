/**
 * Operator commands: `npm run cli -- <command>`. They use the same configuration and start-up as the server
 * (`bootstrap`: DATABASE_URL, or the embedded database in DATA_DIR, which must not be open in a running
 * server). Built from an environment so tests run commands in-process.
 */
import { Command, Option } from 'commander';
import { CHANNELS, ROLES, apiKeyJson, createApiKey, listApiKeys, parseNewKey, revokeApiKey } from '../auth';
import { bootstrap, type Booted } from '../bootstrap';
import { requireJurisdiction } from '../catalog';
import type { CacheKind } from '../cluster';
import type { Config } from '../config';
import type { Database } from '../db';
import { migrateRollback, migrationStatus } from '../db';
import { hasJurisdiction, loadDemoCity } from '../demo';
import { registerCatalogCommands } from './catalog';
import { registerGeoImport } from './geo-import';
import { processIO, type CliIO } from './io';

type Env = Record<string, string | undefined>;

export function buildProgram(env: Env, io: CliIO = processIO()): Command {
  /** Runs `fn` on a started database and closes it; `migrate` overrides MIGRATE_ON_START. */
  const withBooted = async <T>(fn: (b: Booted) => Promise<T>, migrate?: boolean): Promise<T> => {
    const booted = await bootstrap({ env, role: 'cli', migrate });
    try {
      return await fn(booted);
    } finally {
      await booted.close();
    }
  };
  const withDatabase = <T>(fn: (db: Database) => Promise<T>): Promise<T> => withBooted((b) => fn(b.db));
  /** Like withDatabase, for a command whose writes make the running servers' `kind` caches stale. */
  const changing =
    (kind: CacheKind) =>
    <T>(fn: (db: Database, config: Readonly<Config>) => Promise<T>): Promise<T> =>
      withBooted(async (b) => {
        const result = await fn(b.db, b.config);
        await b.ctx.invalidate(kind);
        return result;
      });

  const program = new Command('open311').description('Open311 server operator commands').showHelpAfterError();

  const migrate = program.command('migrate').description('database migrations');
  migrate.command('latest').action(() =>
    withBooted(async ({ db, applied }) => {
      const total = (await migrationStatus(db.knex)).done.length;
      console.log(
        applied.length === 0
          ? `already up to date (${total} applied)`
          : `applied ${applied.length} of ${total}:\n${applied.join('\n')}`,
      );
    }, true),
  );
  migrate
    .command('rollback')
    .option('--all', 'undo every migration')
    .action((opts: { all?: boolean }) =>
      withBooted(async ({ db }) => {
        console.log((await migrateRollback(db.knex, opts.all)).join('\n') || 'nothing to roll back');
      }, false),
    );
  // Reports, never applies: pending migrations are what an operator checks before deploying.
  migrate.command('status').action(() =>
    withBooted(async ({ db }) => {
      const s = await migrationStatus(db.knex);
      console.log(`applied: ${s.done.length}, pending: ${s.pending.length}`);
    }, false),
  );

  program
    .command('seed')
    .argument('<what>', 'demo: load the Boston demo city into an empty database')
    .action((what: string) =>
      withDatabase(async (db) => {
        if (what !== 'demo') throw new Error(`unknown seed "${what}" (try: demo)`);
        if (await hasJurisdiction(db.knex))
          return console.log('the database already has a jurisdiction; nothing loaded');
        await loadDemoCity(db.knex, new Date());
        console.log('demo city loaded');
      }),
    );

  const keys = program.command('api-keys').description('API keys (secrets are shown once, stored hashed)');
  keys
    .command('create')
    .requiredOption('--name <name>', 'who the key is for, e.g. "Citizens Connect app"')
    .addOption(new Option('--role <role>', 'role').choices([...ROLES]).default('client'))
    .addOption(
      new Option('--channel <channel>', 'intake channel recorded on requests').choices([...CHANNELS]),
    )
    .option('--jurisdiction <id>', 'limit the key to one jurisdiction')
    .option('--json', 'print JSON')
    .action((opts: { name: string; role: string; channel?: string; jurisdiction?: string; json?: boolean }) =>
      withDatabase(async (db) => {
        const input = parseNewKey({
          name: opts.name,
          role: opts.role,
          channel: opts.channel,
          jurisdiction_id: opts.jurisdiction,
        });
        if (opts.jurisdiction !== undefined) await requireJurisdiction(db.knex, opts.jurisdiction);
        const { key, secret } = await createApiKey(db.knex, input, new Date());
        if (opts.json) console.log(JSON.stringify({ ...apiKeyJson(key), api_key: secret }));
        else
          console.log(
            `created key ${key.id} (${key.role}, ${key.channel}) for "${key.name}"\napi_key: ${secret}\nStore it now: it is not shown again.`,
          );
      }),
    );
  keys.command('list').action(() =>
    withDatabase(async (db) => {
      for (const k of await listApiKeys(db.knex)) {
        console.log(
          [k.id, k.prefix, k.role, k.channel, k.revokedAt ? 'revoked' : 'active', k.name].join('\t'),
        );
      }
    }),
  );
  keys
    .command('revoke')
    .argument('<id>')
    .action((id: string) =>
      changing('keys')(async (db) => {
        if (!(await revokeApiKey(db.knex, Number(id), new Date()))) throw new Error(`no active key ${id}`);
        console.log(`revoked key ${id}`);
      }),
    );

  registerGeoImport(program, changing('catalog'), io);
  registerCatalogCommands(program, changing('catalog'));
  return program;
}
