import type { Knex } from 'knex';

/** The city's own geography: address points (for geocoding) and district layers (ward, police district...). */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('address_points', (t) => {
    t.bigIncrements('id').primary();
    t.text('jurisdiction_id').notNullable().references('jurisdictions.id').onDelete('CASCADE');
    t.text('external_id');
    t.text('house_number');
    t.text('street').notNullable();
    t.text('unit');
    t.text('zip');
    t.text('address').notNullable(); // display form, e.g. "29 Hereford St"
    t.text('norm_key').notNullable(); // normalised key, e.g. "29 HEREFORD ST"
  });
  await knex.raw('ALTER TABLE address_points ADD COLUMN location geography(Point, 4326) NOT NULL');
  await knex.raw('CREATE INDEX address_points_location_gist ON address_points USING gist (location)');
  await knex.raw('CREATE INDEX address_points_norm_key ON address_points (jurisdiction_id, norm_key)');
  await knex.raw(
    'CREATE INDEX address_points_norm_key_trgm ON address_points USING gin (norm_key gin_trgm_ops)',
  );

  await knex.schema.createTable('districts', (t) => {
    t.bigIncrements('id').primary();
    t.text('jurisdiction_id').notNullable().references('jurisdictions.id').onDelete('CASCADE');
    t.text('layer').notNullable(); // ward, council_district, police_district, neighborhood, ...
    t.text('name').notNullable();
    t.unique(['jurisdiction_id', 'layer', 'name']);
  });
  await knex.raw('ALTER TABLE districts ADD COLUMN geom geometry(MultiPolygon, 4326) NOT NULL');
  await knex.raw('CREATE INDEX districts_geom_gist ON districts USING gist (geom)');
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('districts');
  await knex.schema.dropTable('address_points');
}
