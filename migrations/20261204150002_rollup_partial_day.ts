import type { Knex } from 'knex';

/**
 * The current day rolled up to a recent cut-off (issue #21, target 2, the partial day): a day rolled
 * before it ends holds `rolled_until`, the instant its rows cover up to (requests received before it);
 * null for a complete day. The state holds the same instant for the day it rolled (`partial_until`, the
 * day `rolled_until` of the state), so the dashboard reads the day's rows for the requests received before
 * the cut-off and only the later ones from the requests. Existing rows are complete days: nothing to convert.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.raw('ALTER TABLE request_rollup_days ADD COLUMN rolled_until timestamptz');
  await knex.raw('ALTER TABLE request_rollup_state ADD COLUMN partial_until timestamptz');
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('DELETE FROM request_rollup_days WHERE rolled_until IS NOT NULL');
  await knex.raw('ALTER TABLE request_rollup_days DROP COLUMN rolled_until');
  await knex.raw('ALTER TABLE request_rollup_state DROP COLUMN partial_until');
}
