import type { Knex } from 'knex';

// Issue #17: geocoding as residents write places.
// - address_points gains its street key and numeric house number (generated from norm_key), so the
//   geocoder can settle the street first and then the number, and interpolate a number the file lacks
//   between its neighbours on the same side of the same street;
// - address_streets: one row per distinct street key of a jurisdiction (a few thousand rows where the
//   points are hundreds of thousands), the set a street name is fuzzily matched against;
// - intersections: a city's optional layer of street intersections (a point and its two street keys);
// - service_requests records how its point was found and how precise it is estimated to be.
// PGlite: one statement per knex.raw.
export async function up(knex: Knex): Promise<void> {
  await knex.raw(
    `ALTER TABLE address_points ADD COLUMN street_key text GENERATED ALWAYS AS (
       CASE WHEN house_number IS NULL THEN norm_key
            ELSE regexp_replace(norm_key, '^[0-9][0-9A-Z/-]*( [0-9]+/[0-9]+){0,1} ', '') END) STORED`,
  );
  await knex.raw(
    `ALTER TABLE address_points ADD COLUMN house_int integer GENERATED ALWAYS AS (
       CASE WHEN house_number IS NOT NULL AND norm_key ~ '^[0-9]{1,9}'
            THEN substring(norm_key from '^([0-9]{1,9})')::integer END) STORED`,
  );
  await knex.raw(
    'CREATE INDEX address_points_street_number ON address_points (jurisdiction_id, street_key, house_int)',
  );
  await knex.schema.createTable('address_streets', (t) => {
    t.text('jurisdiction_id').notNullable().references('jurisdictions.id').onDelete('CASCADE');
    t.text('street_key').notNullable();
    t.integer('points').notNullable();
    t.primary(['jurisdiction_id', 'street_key']);
  });
  await knex.raw(
    'CREATE INDEX address_streets_key_trgm ON address_streets USING gin (street_key gin_trgm_ops)',
  );
  await knex.raw(
    `INSERT INTO address_streets (jurisdiction_id, street_key, points)
     SELECT jurisdiction_id, street_key, count(*) FROM address_points
     WHERE street_key <> '' GROUP BY jurisdiction_id, street_key`,
  );
  await knex.schema.createTable('intersections', (t) => {
    t.bigIncrements('id').primary();
    t.text('jurisdiction_id').notNullable().references('jurisdictions.id').onDelete('CASCADE');
    t.text('external_id');
    t.text('street_a').notNullable(); // normalised street keys, street_a < street_b
    t.text('street_b').notNullable();
    t.text('name').notNullable(); // display form, e.g. "Boylston St & Dartmouth St"
    t.text('zip');
  });
  await knex.raw('ALTER TABLE intersections ADD COLUMN location geography(Point, 4326) NOT NULL');
  await knex.raw('CREATE INDEX intersections_streets ON intersections (jurisdiction_id, street_a, street_b)');
  await knex.raw('CREATE INDEX intersections_street_b ON intersections (jurisdiction_id, street_b)');
  await knex.raw('ALTER TABLE service_requests ADD COLUMN location_match text');
  await knex.raw('ALTER TABLE service_requests ADD COLUMN location_accuracy_m integer');
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('ALTER TABLE service_requests DROP COLUMN location_accuracy_m');
  await knex.raw('ALTER TABLE service_requests DROP COLUMN location_match');
  await knex.schema.dropTable('intersections');
  await knex.schema.dropTable('address_streets');
  await knex.raw('DROP INDEX address_points_street_number');
  await knex.raw('ALTER TABLE address_points DROP COLUMN house_int');
  await knex.raw('ALTER TABLE address_points DROP COLUMN street_key');
}
