import type { Knex } from 'knex';

/**
 * Fair webhook delivery (probe finding M6): a subscription whose receiver fails is backed off as a whole
 * (`failures` in a row, `paused_until` the end of its back-off), so a dead receiver costs one attempt per
 * back-off step instead of one per pending delivery on every tick. The claim takes each subscription's
 * earliest due delivery, served by the index below. Deliveries of a deleted subscription are `cancelled`.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.raw('ALTER TABLE webhook_subscriptions ADD COLUMN failures integer NOT NULL DEFAULT 0');
  await knex.raw('ALTER TABLE webhook_subscriptions ADD COLUMN paused_until timestamptz');
  await knex.raw(
    "CREATE INDEX webhook_deliveries_due_per_subscription ON webhook_deliveries (subscription_id, next_attempt_at, id) WHERE status = 'pending'",
  );
  // Deliveries of subscriptions deleted before this migration were still retried: cancel them now.
  await knex.raw(
    `UPDATE webhook_deliveries SET status = 'cancelled'
     WHERE status = 'pending' AND subscription_id IN (SELECT id FROM webhook_subscriptions WHERE NOT active)`,
  );
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('DROP INDEX webhook_deliveries_due_per_subscription');
  await knex.raw("UPDATE webhook_deliveries SET status = 'dead' WHERE status = 'cancelled'");
  await knex.raw('ALTER TABLE webhook_subscriptions DROP COLUMN paused_until');
  await knex.raw('ALTER TABLE webhook_subscriptions DROP COLUMN failures');
}
