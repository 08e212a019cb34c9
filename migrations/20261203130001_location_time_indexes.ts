import type { Knex } from 'knex';

/**
 * Radius and bbox pages (GET requests with lat/long/radius or bbox): every list has a time window (the
 * last 90 days by default), and with a GiST index on the location alone PostgreSQL AND-ed its bitmap with
 * a quarter of the date index (330k entries at 1M requests) or fetched every request of the circle over
 * all time. A GiST index on (location, requested_at) (btree_gist) answers both conditions at once: 3,800
 * entries for a busy 500 m circle. It replaces the location-only indexes, which it serves as well (the
 * first column of a GiST index guides its tree; KNN ordering works the same), so a POST maintains as
 * many indexes as before. The partial one on open requests serves the duplicate check (open, near, in its
 * window) and the mobile "nearby" query (open, 150 m, last 90 days): 0.3 ms instead of a BitmapAnd with
 * 25k entries of the status index.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.raw('CREATE EXTENSION IF NOT EXISTS btree_gist');
  await knex.raw(
    'CREATE INDEX sr_location_requested_gist ON service_requests USING gist (location, requested_at)',
  );
  await knex.raw('DROP INDEX IF EXISTS sr_location_gist');
  await knex.raw(
    "CREATE INDEX sr_open_location_requested_gist ON service_requests USING gist (location, requested_at) WHERE status = 'open'",
  );
  await knex.raw('DROP INDEX IF EXISTS sr_open_location_gist');
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw(
    "CREATE INDEX sr_open_location_gist ON service_requests USING gist (location) WHERE status = 'open'",
  );
  await knex.raw('DROP INDEX sr_open_location_requested_gist');
  await knex.raw('CREATE INDEX sr_location_gist ON service_requests USING gist (location)');
  await knex.raw('DROP INDEX sr_location_requested_gist');
}
