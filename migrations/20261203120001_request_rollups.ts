import type { Knex } from 'knex';

/**
 * Daily rollups of public requests for the dashboard (issue #21, target 2; src/rollup owns them): per
 * jurisdiction, local day of receipt and group (all, channel, service, each district layer), the counts
 * the performance report makes, the exact days-to-close (short periods) and a log-bucket histogram of them
 * (long periods); months hold the histograms of their days summed. The worker keeps them current
 * (src/rollup/refresh.ts) and the dashboard computes what is not rolled, or changed since, directly.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('request_rollup_days', (t) => {
    t.text('jurisdiction_id').notNullable();
    t.date('day').notNullable();
    t.text('kind').notNullable(); // all, channel, service, district:<layer>
    t.text('grp').notNullable();
    t.integer('received').notNullable();
    t.integer('closed').notNullable();
    t.integer('closed_with_level').notNullable();
    t.integer('closed_on_time').notNullable();
    t.integer('open_backlog').notNullable();
    t.integer('overdue').notNullable(); // open and overdue at rolled_at
    t.specificType('close_days', 'real[]').notNullable().defaultTo('{}');
    t.specificType('hist_b', 'integer[]').notNullable().defaultTo('{}');
    t.specificType('hist_c', 'integer[]').notNullable().defaultTo('{}');
    // On the 'all' row only: the earliest expected time of an open request not yet counted overdue.
    t.timestamp('next_due', { useTz: true });
    t.timestamp('rolled_at', { useTz: true }).notNullable();
    t.primary(['jurisdiction_id', 'day', 'kind', 'grp']);
  });
  await knex.raw(
    "CREATE INDEX request_rollup_days_due ON request_rollup_days (jurisdiction_id, next_due) WHERE kind = 'all'",
  );
  await knex.schema.createTable('request_rollup_months', (t) => {
    t.text('jurisdiction_id').notNullable();
    t.date('month').notNullable();
    t.text('kind').notNullable();
    t.text('grp').notNullable();
    t.integer('received').notNullable();
    t.integer('closed').notNullable();
    t.integer('closed_with_level').notNullable();
    t.integer('closed_on_time').notNullable();
    t.integer('open_backlog').notNullable();
    t.integer('overdue').notNullable();
    t.specificType('hist_b', 'integer[]').notNullable().defaultTo('{}');
    t.specificType('hist_c', 'integer[]').notNullable().defaultTo('{}');
    t.primary(['jurisdiction_id', 'month', 'kind', 'grp']);
  });
  await knex.schema.createTable('request_rollup_state', (t) => {
    t.text('jurisdiction_id').primary();
    // Time zone, public services and district ids the rows were made with: any change rebuilds them.
    t.text('fingerprint').notNullable();
    // Local days in [rolled_from, rolled_until) are rolled; the rest is computed directly. The worker rolls
    // new days forward and the past backwards, so recent periods are served first.
    t.date('rolled_from').notNullable();
    t.date('rolled_until').notNullable();
    // request_history ids: every change up to `seen` is rolled once, up to `confirmed` twice.
    t.bigInteger('history_seen').notNullable();
    t.bigInteger('history_confirmed').notNullable();
    t.timestamp('updated_at', { useTz: true }).notNullable();
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('request_rollup_state');
  await knex.schema.dropTable('request_rollup_months');
  await knex.schema.dropTable('request_rollup_days');
}
