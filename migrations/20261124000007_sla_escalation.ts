import type { Knex } from 'knex';

/**
 * Response levels and escalation (issue #6): a business calendar per jurisdiction, optional per-priority
 * response levels, pauses while a request waits on the resident, and an escalation ladder whose steps
 * fire exactly once per request (a primary key on (request, rule) makes a second firing impossible).
 * `next_escalation_at` is indexed so a sweep reads only what is due, never every open request.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('business_calendars', (t) => {
    t.text('jurisdiction_id').primary().references('jurisdictions.id').onDelete('CASCADE');
    t.jsonb('working_hours').notNullable(); // {"1": [{"start": "08:00", "end": "17:00"}], ...} ISO weekday → intervals
    t.jsonb('holidays').notNullable().defaultTo('[]'); // ["2026-11-26", ...]
    t.timestamp('updated_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
  });

  await knex.schema.createTable('service_response_levels', (t) => {
    t.bigInteger('service_id').notNullable().references('services.id').onDelete('CASCADE');
    t.text('priority').notNullable();
    t.double('value').notNullable();
    t.text('unit').notNullable();
    t.primary(['service_id', 'priority']);
  });

  await knex.schema.alterTable('service_requests', (t) => {
    t.timestamp('paused_at', { useTz: true }); // waiting on the resident since
    t.timestamp('next_escalation_at', { useTz: true });
    t.boolean('overdue').notNullable().defaultTo(false);
  });
  await knex.raw(
    'CREATE INDEX sr_next_escalation ON service_requests (next_escalation_at) WHERE next_escalation_at IS NOT NULL',
  );

  await knex.schema.createTable('request_sla_pauses', (t) => {
    t.bigIncrements('id').primary();
    t.bigInteger('request_id').notNullable().references('service_requests.id');
    t.timestamp('paused_from', { useTz: true }).notNullable();
    t.timestamp('paused_to', { useTz: true });
    t.index(['request_id']);
  });

  await knex.schema.createTable('escalation_rules', (t) => {
    t.bigIncrements('id').primary();
    t.text('jurisdiction_id').notNullable().references('jurisdictions.id').onDelete('CASCADE');
    t.bigInteger('service_id').references('services.id').onDelete('CASCADE'); // null: every service
    t.bigInteger('agency_id').references('agencies.id').onDelete('CASCADE'); // null: every agency
    t.double('at_fraction').notNullable(); // 0.75 = at 75% of the response level
    t.text('action').notNullable();
    t.text('notify'); // who is told, e.g. "supervisor", "director", an e-mail
    t.text('description').notNullable().defaultTo('');
    t.check(
      "action IN ('warn', 'mark_overdue', 'escalate', 'raise_priority')",
      [],
      'escalation_rules_action_check',
    );
  });

  await knex.schema.createTable('request_escalations', (t) => {
    t.bigInteger('request_id').notNullable().references('service_requests.id');
    t.bigInteger('rule_id').notNullable().references('escalation_rules.id').onDelete('CASCADE');
    t.timestamp('fired_at', { useTz: true }).notNullable();
    t.primary(['request_id', 'rule_id']);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('request_escalations');
  await knex.schema.dropTable('escalation_rules');
  await knex.schema.dropTable('request_sla_pauses');
  await knex.raw('DROP INDEX sr_next_escalation');
  await knex.schema.alterTable('service_requests', (t) => {
    t.dropColumn('paused_at');
    t.dropColumn('next_escalation_at');
    t.dropColumn('overdue');
  });
  await knex.schema.dropTable('service_response_levels');
  await knex.schema.dropTable('business_calendars');
}
