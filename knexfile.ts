/**
 * For the knex CLI (`npx knex --knexfile knexfile.ts migrate:list`) against PostgreSQL. The server and
 * `npm run migrate:*` do not need it: they use src/db (embedded or PostgreSQL, from the same config).
 */
import type { Knex } from 'knex';
import { migrationConfig } from './src/db/migrate';

const config: Knex.Config = {
  client: 'pg',
  connection: process.env.DATABASE_URL,
  migrations: migrationConfig(),
};

export default config;
