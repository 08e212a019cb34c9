import type { Knex } from 'knex';

// Issue #17, speed of intersection geocoding (the 202612031500xx prefix the work was given would sort
// before 20261203200001, which creates these tables, so this one is named to run after it).
// - address_streets: a GiST trigram index, so the fuzzy street lookup is a nearest-neighbour scan
//   (`ORDER BY street_key <-> ?`), which the planner always takes: with the GIN index alone it
//   seq-scanned the few thousand streets, computing similarity() for each (10–30 ms a name);
// - intersections: its street names read by their first letters (`LIKE 'BO%'`) whatever the
//   database's collation (text_pattern_ops), as address_points_norm_key_pattern does for keys.
// PGlite: one statement per knex.raw.
export async function up(knex: Knex): Promise<void> {
  await knex.raw(
    'CREATE INDEX address_streets_key_gist ON address_streets USING gist (street_key gist_trgm_ops)',
  );
  await knex.raw(
    'CREATE INDEX intersections_street_a_pattern ON intersections (jurisdiction_id, street_a text_pattern_ops)',
  );
  await knex.raw(
    'CREATE INDEX intersections_street_b_pattern ON intersections (jurisdiction_id, street_b text_pattern_ops)',
  );
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('DROP INDEX intersections_street_b_pattern');
  await knex.raw('DROP INDEX intersections_street_a_pattern');
  await knex.raw('DROP INDEX address_streets_key_gist');
}
