import type { Knex } from 'knex';

// Geocoding at 500,000 address points (issue #5, bench/geo-scale.ts). A trigram search over every key
// (`norm_key % ?`) matches tens of thousands of rows once a city has that many points, since addresses on
// one street share most trigrams: 290 ms per query, EXPLAIN ANALYZE. The geocoder and the address search
// look for one house number, so they narrow to the points with it first (the key's first word, at most a
// few thousand rows) and rank those by similarity: under 3 ms.
// The prefix (autocomplete) match needs a pattern-ops index, as the collation is not C; it also serves
// the exact key lookup, so it replaces the plain (jurisdiction_id, norm_key) index.
export async function up(knex: Knex): Promise<void> {
  await knex.raw(
    "CREATE INDEX address_points_house_number_key ON address_points (jurisdiction_id, split_part(norm_key, ' ', 1))",
  );
  await knex.raw(
    'CREATE INDEX address_points_norm_key_pattern ON address_points (jurisdiction_id, norm_key text_pattern_ops)',
  );
  await knex.raw('DROP INDEX address_points_norm_key');
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('CREATE INDEX address_points_norm_key ON address_points (jurisdiction_id, norm_key)');
  await knex.raw('DROP INDEX address_points_norm_key_pattern');
  await knex.raw('DROP INDEX address_points_house_number_key');
}
