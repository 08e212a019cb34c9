import type { Knex } from 'knex';

/**
 * Issue #20.1: on PostgreSQL the rate limits are counted in the database, so N API processes allow the
 * limit once, not N times. One row per limited key and window (fixed window, like express-rate-limit's
 * memory store); rows past their window are pruned by the store.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('rate_limit_hits', (t) => {
    t.text('key').primary();
    t.integer('hits').notNullable();
    t.timestamp('reset_at', { useTz: true }).notNullable();
  });
  await knex.raw('CREATE INDEX rate_limit_hits_reset_at ON rate_limit_hits (reset_at)');
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('rate_limit_hits');
}
