import type { Knex } from 'knex';

/** Jurisdictions, their agencies (departments) and the service catalog with attribute definitions. */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('jurisdictions', (t) => {
    t.text('id').primary(); // the Open311 jurisdiction_id, e.g. "boston"
    t.text('name').notNullable();
    t.text('time_zone').notNullable();
    t.text('email');
    t.text('phone');
    t.text('website');
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.timestamp('updated_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
  });
  // City limits; requests outside are refused (with a tolerance). Set by the geography import.
  await knex.raw('ALTER TABLE jurisdictions ADD COLUMN boundary geometry(MultiPolygon, 4326)');

  await knex.schema.createTable('agencies', (t) => {
    t.bigIncrements('id').primary();
    t.text('jurisdiction_id').notNullable().references('jurisdictions.id').onDelete('CASCADE');
    t.text('code').notNullable();
    t.text('name').notNullable();
    t.text('email');
    t.text('phone');
    t.unique(['jurisdiction_id', 'code']);
  });

  await knex.schema.createTable('services', (t) => {
    t.bigIncrements('id').primary();
    t.text('jurisdiction_id').notNullable().references('jurisdictions.id').onDelete('CASCADE');
    t.text('service_code').notNullable();
    t.text('service_name').notNullable();
    t.text('description').notNullable().defaultTo('');
    t.text('type').notNullable().defaultTo('realtime');
    t.specificType('keywords', 'text[]').notNullable().defaultTo('{}');
    t.specificType('groups', 'text[]').notNullable().defaultTo('{}');
    t.bigInteger('agency_id').references('agencies.id').onDelete('SET NULL');
    // Response level (SLA): value + unit (hours, business_hours, business_days, calendar_days).
    t.double('sla_value');
    t.text('sla_unit');
    t.boolean('active').notNullable().defaultTo(true);
    // Bumped on every definition change so cached validators are rebuilt.
    t.integer('version').notNullable().defaultTo(1);
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.timestamp('updated_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.unique(['jurisdiction_id', 'service_code']);
    t.check("type IN ('realtime', 'batch', 'blackbox')", [], 'services_type_check');
    t.check(
      "sla_unit IS NULL OR sla_unit IN ('hours', 'business_hours', 'business_days', 'calendar_days')",
      [],
      'services_sla_unit_check',
    );
  });
  // The Open311 "private" keyword marks a non-public service: its requests never appear in public lists.
  await knex.raw(
    "ALTER TABLE services ADD COLUMN is_private boolean GENERATED ALWAYS AS ('private' = ANY(keywords)) STORED",
  );

  await knex.schema.createTable('service_attributes', (t) => {
    t.bigIncrements('id').primary();
    t.bigInteger('service_id').notNullable().references('services.id').onDelete('CASCADE');
    t.text('code').notNullable();
    t.boolean('variable').notNullable().defaultTo(true);
    t.text('datatype').notNullable();
    t.boolean('required').notNullable().defaultTo(false);
    t.text('datatype_description');
    t.integer('sort_order').notNullable();
    t.text('description').notNullable().defaultTo('');
    t.jsonb('values').notNullable().defaultTo('[]');
    t.unique(['service_id', 'code']);
    t.check(
      "datatype IN ('string', 'number', 'datetime', 'text', 'singlevaluelist', 'multivaluelist')",
      [],
      'service_attributes_datatype_check',
    );
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('service_attributes');
  await knex.schema.dropTable('services');
  await knex.schema.dropTable('agencies');
  await knex.schema.dropTable('jurisdictions');
}
