import type { Knex } from 'knex';

/**
 * servicerequestupdates (issue #16): every update is known by its history row id on the wire, from one id
 * space; a client's own update_id is only an idempotency key, scoped to the API key that sent it. And the
 * city may stop residents (client keys) reopening closed requests of a service.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.raw('DROP INDEX request_history_update_id');
  await knex.raw('ALTER TABLE request_history RENAME COLUMN update_id TO client_update_id');
  await knex.raw('ALTER TABLE request_history ADD COLUMN api_key_id bigint');
  // Existing client ids belong to the key that posted them (the actor); the trail is append-only, so the
  // trigger is lifted for this one backfill.
  await knex.raw('ALTER TABLE request_history DISABLE TRIGGER request_history_no_change');
  await knex.raw(
    `UPDATE request_history SET api_key_id = actor_id::bigint
     WHERE client_update_id IS NOT NULL AND actor_type = 'api_key' AND actor_id ~ '^[0-9]{1,18}$'`,
  );
  await knex.raw('ALTER TABLE request_history ENABLE TRIGGER request_history_no_change');
  await knex.raw(
    `CREATE UNIQUE INDEX request_history_client_update ON request_history (api_key_id, client_update_id)
     WHERE client_update_id IS NOT NULL`,
  );
  await knex.raw('ALTER TABLE services ADD COLUMN residents_can_reopen boolean NOT NULL DEFAULT true');
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('ALTER TABLE services DROP COLUMN residents_can_reopen');
  await knex.raw('DROP INDEX request_history_client_update');
  await knex.raw('ALTER TABLE request_history DROP COLUMN api_key_id');
  await knex.raw('ALTER TABLE request_history RENAME COLUMN client_update_id TO update_id');
  await knex.raw(
    'CREATE UNIQUE INDEX request_history_update_id ON request_history (jurisdiction_id, update_id) WHERE update_id IS NOT NULL',
  );
}
