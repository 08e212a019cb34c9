import type { Knex } from 'knex';

// PostGIS for locations, boundaries and districts; pg_trgm for fuzzy address matching.
export async function up(knex: Knex): Promise<void> {
  await knex.raw('CREATE EXTENSION IF NOT EXISTS postgis');
  await knex.raw('CREATE EXTENSION IF NOT EXISTS pg_trgm');
}

// Extensions may be shared with other schemas in the database, so they are left in place.
export async function down(): Promise<void> {}
