import type { Knex } from 'knex';

/**
 * Onboarding a city (issue #14): a jurisdiction's default language, and every change to a service
 * definition kept as a version (who, when, what changed, the whole document after the change).
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('jurisdictions', (t) => {
    t.text('language');
  });
  await knex.schema.createTable('service_versions', (t) => {
    t.bigIncrements('id').primary();
    t.bigInteger('service_id').notNullable().references('services.id').onDelete('CASCADE');
    t.integer('version').notNullable();
    t.timestamp('changed_at', { useTz: true }).notNullable();
    t.text('actor').notNullable();
    t.text('summary').notNullable();
    t.jsonb('changes').notNullable().defaultTo('[]');
    t.jsonb('document').notNullable();
    t.unique(['service_id', 'version']);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('service_versions');
  await knex.schema.alterTable('jurisdictions', (t) => {
    t.dropColumn('language');
  });
}
