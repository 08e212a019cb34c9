import type { Knex } from 'knex';

/**
 * The dashboard's percentiles read as bytes (issue #21, target 2, second pass): a year's histograms are
 * about 160k (bucket, count) pairs and a week's exact values about 60k numbers, and sending them as JSON
 * arrays (numbers written as text by PostgreSQL, parsed back by the client, merged in Maps) cost most of a
 * first request. Each row now also holds them packed: `close_bin`, the exact days-to-close as big-endian
 * float4 (replacing `close_days real[]`), and `hist_bin`, the histogram as big-endian (int2 bucket, int4
 * count) pairs, ascending; the integer arrays stay for the worker's sums of months. The existing rows are
 * converted here, so the rollup needs no rebuild.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.raw(
    "ALTER TABLE request_rollup_days ADD COLUMN close_bin bytea NOT NULL DEFAULT ''::bytea, ADD COLUMN hist_bin bytea NOT NULL DEFAULT ''::bytea",
  );
  await knex.raw(
    `UPDATE request_rollup_days SET
       close_bin = coalesce((SELECT string_agg(float4send(v), ''::bytea) FROM unnest(close_days) AS v), ''::bytea),
       hist_bin = coalesce((SELECT string_agg(int2send(b::int2) || int4send(c), ''::bytea ORDER BY b)
                              FROM unnest(hist_b, hist_c) AS u(b, c)), ''::bytea)`,
  );
  await knex.raw('ALTER TABLE request_rollup_days DROP COLUMN close_days');
  await knex.raw("ALTER TABLE request_rollup_months ADD COLUMN hist_bin bytea NOT NULL DEFAULT ''::bytea");
  await knex.raw(
    `UPDATE request_rollup_months SET
       hist_bin = coalesce((SELECT string_agg(int2send(b::int2) || int4send(c), ''::bytea ORDER BY b)
                              FROM unnest(hist_b, hist_c) AS u(b, c)), ''::bytea)`,
  );
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw("ALTER TABLE request_rollup_days ADD COLUMN close_days real[] NOT NULL DEFAULT '{}'");
  await knex.raw('ALTER TABLE request_rollup_days DROP COLUMN close_bin, DROP COLUMN hist_bin');
  await knex.raw('ALTER TABLE request_rollup_months DROP COLUMN hist_bin');
  // The exact values are not kept beside the packed ones: the worker rolls every day again.
  await knex.raw('DELETE FROM request_rollup_state');
}
