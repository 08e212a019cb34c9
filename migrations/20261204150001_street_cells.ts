import type { Knex } from 'knex';

// Issue #17, intersections at 500,000 points: where two streets meet is computed from their points
// near each other only, never from whole streets (Washington St has ~12,000 points at that size).
// - address_points gains its grid cell (CELL_DEG degrees of latitude and of longitude, generated from
//   its location), indexed with its street key, so a street's points in a few cells are an index probe;
// - street_cells: the cells each street has points in (a few hundred rows for the longest street),
//   rebuilt at each import as address_streets is; two streets' cells within reach of each other say
//   which points to read. src/geo/intersection-geocode.ts holds the same cell size.
// PGlite: one statement per knex.raw.
const CELL_DEG = 0.0005;

export async function up(knex: Knex): Promise<void> {
  await knex.raw(
    `ALTER TABLE address_points ADD COLUMN cell_y integer
       GENERATED ALWAYS AS (floor(ST_Y(location::geometry) / ${CELL_DEG})::integer) STORED`,
  );
  await knex.raw(
    `ALTER TABLE address_points ADD COLUMN cell_x integer
       GENERATED ALWAYS AS (floor(ST_X(location::geometry) / ${CELL_DEG})::integer) STORED`,
  );
  await knex.raw(
    'CREATE INDEX address_points_street_cell ON address_points (jurisdiction_id, street_key, cell_y, cell_x)',
  );
  await knex.schema.createTable('street_cells', (t) => {
    t.text('jurisdiction_id').notNullable().references('jurisdictions.id').onDelete('CASCADE');
    t.text('street_key').notNullable();
    t.integer('cell_y').notNullable();
    t.integer('cell_x').notNullable();
    t.primary(['jurisdiction_id', 'street_key', 'cell_y', 'cell_x']);
  });
  await knex.raw(
    `INSERT INTO street_cells (jurisdiction_id, street_key, cell_y, cell_x)
     SELECT DISTINCT jurisdiction_id, street_key, cell_y, cell_x FROM address_points WHERE street_key <> ''`,
  );
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('street_cells');
  await knex.raw('DROP INDEX address_points_street_cell');
  await knex.raw('ALTER TABLE address_points DROP COLUMN cell_x');
  await knex.raw('ALTER TABLE address_points DROP COLUMN cell_y');
}
