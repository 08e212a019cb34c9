import type { Knex } from 'knex';

/**
 * Outbox and webhooks (issue #6): events are written in the same transaction as the change they
 * describe; the worker fans them out to matching subscriptions and delivers with retries, back-off and a
 * dead-letter state. Claims use FOR UPDATE SKIP LOCKED, so several workers share the work.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('outbox', (t) => {
    t.bigIncrements('id').primary();
    t.text('jurisdiction_id').notNullable();
    t.text('event_type').notNullable(); // request.created, request.updated, request.closed, request.overdue, request.escalated
    t.bigInteger('request_id');
    t.text('service_code');
    t.text('agency_code');
    t.jsonb('payload').notNullable();
    t.timestamp('created_at', { useTz: true }).notNullable();
    t.timestamp('dispatched_at', { useTz: true });
  });
  await knex.raw('CREATE INDEX outbox_pending ON outbox (id) WHERE dispatched_at IS NULL');

  await knex.schema.createTable('webhook_subscriptions', (t) => {
    t.bigIncrements('id').primary();
    t.text('jurisdiction_id').notNullable().references('jurisdictions.id').onDelete('CASCADE');
    t.text('url').notNullable();
    t.text('secret').notNullable(); // needed in clear to sign (HMAC); never returned after creation
    t.specificType('event_types', 'text[]').notNullable();
    t.text('service_code');
    t.text('agency_code');
    t.boolean('active').notNullable().defaultTo(true);
    t.timestamp('created_at', { useTz: true }).notNullable();
  });

  await knex.schema.createTable('webhook_deliveries', (t) => {
    t.bigIncrements('id').primary();
    t.bigInteger('subscription_id').notNullable().references('webhook_subscriptions.id').onDelete('CASCADE');
    t.bigInteger('outbox_id').notNullable().references('outbox.id');
    t.text('status').notNullable().defaultTo('pending'); // pending, delivered, dead
    t.integer('attempts').notNullable().defaultTo(0);
    t.timestamp('next_attempt_at', { useTz: true }).notNullable();
    t.integer('last_status_code');
    t.text('last_error');
    t.timestamp('delivered_at', { useTz: true });
    t.unique(['subscription_id', 'outbox_id']);
  });
  await knex.raw(
    "CREATE INDEX webhook_deliveries_due ON webhook_deliveries (next_attempt_at) WHERE status = 'pending'",
  );
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('webhook_deliveries');
  await knex.schema.dropTable('webhook_subscriptions');
  await knex.schema.dropTable('outbox');
}
