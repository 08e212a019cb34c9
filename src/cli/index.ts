/**
 * Operator commands: `npm run cli -- <command>`. They use the same configuration as the server
 * (DATABASE_URL, or the embedded database in DATA_DIR, which must not be open in a running server).
 */
import { Command, Option } from 'commander';
import { apiKeyJson, parseNewKey } from '../admin/api-keys-routes';
import { CHANNELS, ROLES, createApiKey, listApiKeys, revokeApiKey } from '../auth';
import { loadConfig } from '../config';
import { openDatabase, type Database } from '../db/connect';
import { migrateLatest, migrateRollback, migrationStatus } from '../db/migrate';
import { hasJurisdiction, loadDemoCity } from '../demo/load-demo';
import { AppError } from '../http/errors';
import { registerGeoImport } from './geo-import';
import { registerCatalogCommands } from './catalog';

async function withDatabase<T>(fn: (db: Database) => Promise<T>): Promise<T> {
  const config = loadConfig(process.env);
  const db = await openDatabase(
    config.databaseUrl
      ? { kind: 'postgres', url: config.databaseUrl, poolMax: 2 }
      : { kind: 'embedded', dataDir: config.dataDir },
  );
  try {
    await migrateLatest(db.knex);
    return await fn(db);
  } finally {
    await db.close();
  }
}

const program = new Command('open311').description('Open311 server operator commands').showHelpAfterError();

const migrate = program.command('migrate').description('database migrations');
migrate
  .command('latest')
  .action(() =>
    withDatabase(async (db) =>
      console.log((await migrationStatus(db.knex)).done.join('\n') || 'no migrations'),
    ),
  );
migrate
  .command('rollback')
  .option('--all', 'undo every migration')
  .action(async (opts: { all?: boolean }) => {
    const config = loadConfig(process.env);
    const db = await openDatabase(
      config.databaseUrl
        ? { kind: 'postgres', url: config.databaseUrl }
        : { kind: 'embedded', dataDir: config.dataDir },
    );
    try {
      console.log((await migrateRollback(db.knex, opts.all)).join('\n') || 'nothing to roll back');
    } finally {
      await db.close();
    }
  });
migrate.command('status').action(() =>
  withDatabase(async (db) => {
    const s = await migrationStatus(db.knex);
    console.log(`applied: ${s.done.length}, pending: ${s.pending.length}`);
  }),
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
  .addOption(new Option('--channel <channel>', 'intake channel recorded on requests').choices([...CHANNELS]))
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
      console.log([k.id, k.prefix, k.role, k.channel, k.revokedAt ? 'revoked' : 'active', k.name].join('\t'));
    }
  }),
);
keys
  .command('revoke')
  .argument('<id>')
  .action((id: string) =>
    withDatabase(async (db) => {
      if (!(await revokeApiKey(db.knex, Number(id), new Date()))) throw new Error(`no active key ${id}`);
      console.log(`revoked key ${id}`);
    }),
  );

registerGeoImport(program, withDatabase);
registerCatalogCommands(program, withDatabase);

program.parseAsync(process.argv).catch((err: unknown) => {
  const message =
    err instanceof AppError ? err.errors.map((e) => e.description).join(' ') : (err as Error).message;
  console.error(`open311: ${message}`);
  process.exit(1);
});
