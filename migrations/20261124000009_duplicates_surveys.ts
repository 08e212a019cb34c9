import type { Knex } from 'knex';

/**
 * Duplicate rules per service (issue #8) and satisfaction surveys. A survey token is a bearer secret:
 * only its SHA-256 hash is stored.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('duplicate_rules', (t) => {
    t.bigIncrements('id').primary();
    t.text('jurisdiction_id').notNullable().references('jurisdictions.id').onDelete('CASCADE');
    t.bigInteger('service_id').references('services.id').onDelete('CASCADE'); // null: the jurisdiction default
    t.double('radius_metres').notNullable();
    t.double('window_hours').notNullable();
    t.specificType('statuses', 'text[]').notNullable(); // detailed statuses a parent may have
    t.specificType('related_service_codes', 'text[]').notNullable().defaultTo('{}');
    t.boolean('enabled').notNullable().defaultTo(true);
  });
  await knex.raw(
    'CREATE UNIQUE INDEX duplicate_rules_scope ON duplicate_rules (jurisdiction_id, coalesce(service_id, 0))',
  );

  await knex.schema.createTable('surveys', (t) => {
    t.bigIncrements('id').primary();
    t.bigInteger('request_id').notNullable().unique().references('service_requests.id');
    t.text('jurisdiction_id').notNullable();
    t.text('token_hash').notNullable().unique();
    t.timestamp('created_at', { useTz: true }).notNullable();
    t.timestamp('answered_at', { useTz: true });
    t.smallint('service_rating');
    t.smallint('timeliness_rating');
    t.text('comment');
    t.check('service_rating IS NULL OR service_rating BETWEEN 1 AND 5', [], 'surveys_service_rating_check');
    t.check(
      'timeliness_rating IS NULL OR timeliness_rating BETWEEN 1 AND 5',
      [],
      'surveys_timeliness_rating_check',
    );
  });
  await knex.raw('CREATE INDEX surveys_created ON surveys (jurisdiction_id, created_at)');
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('surveys');
  await knex.schema.dropTable('duplicate_rules');
}
