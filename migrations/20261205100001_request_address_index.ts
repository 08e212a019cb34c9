import type { Knex } from 'knex';

/**
 * A GIS refresh (`geo import --layer addresses --replace`) deletes the address points no longer in the
 * city's file; the foreign key then sets `address_id` to null on the requests linked to each one, a
 * lookup by `address_id` per deleted point, and the import counts those requests first. Without an index
 * each lookup read every request (40,000 removed points × 1M requests). Partial: most requests have no
 * address_id, and `address_id = ?` implies the predicate.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.raw('CREATE INDEX sr_address_id ON service_requests (address_id) WHERE address_id IS NOT NULL');
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('DROP INDEX sr_address_id');
}
