import type { Knex } from 'knex';

/**
 * The append-only history of every request: creation, status changes, notes, transfers, escalations.
 * Public rows are the Open311 notes and the mySociety service request updates; the rest is the audit trail.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('request_history', (t) => {
    t.bigIncrements('id').primary();
    t.bigInteger('request_id').notNullable().references('service_requests.id');
    t.text('jurisdiction_id').notNullable();
    t.timestamp('occurred_at', { useTz: true }).notNullable();
    t.text('kind').notNullable(); // created, status_change, note, transfer, priority, sla, escalation, link, ...
    t.boolean('public').notNullable().defaultTo(false);
    t.text('actor_type').notNullable(); // api_key, staff, system
    t.text('actor_id');
    t.text('actor_label');
    t.text('channel');
    t.text('detailed_status'); // the status after this change
    t.text('summary');
    t.text('description');
    t.text('media_url');
    t.text('update_id'); // mySociety servicerequestupdates id (ours or the caller's)
    t.jsonb('data').notNullable().defaultTo('{}');
  });
  await knex.raw('CREATE INDEX request_history_request ON request_history (request_id, occurred_at, id)');
  await knex.raw(
    'CREATE INDEX request_history_public ON request_history (jurisdiction_id, occurred_at, id) WHERE public',
  );
  await knex.raw(
    'CREATE UNIQUE INDEX request_history_update_id ON request_history (jurisdiction_id, update_id) WHERE update_id IS NOT NULL',
  );
  // Append-only: an audit trail that can be edited is not one. TRUNCATE (tests, resets) is still allowed.
  await knex.raw(`CREATE FUNCTION request_history_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      RAISE EXCEPTION 'request_history is append-only';
    END;
  $$`);
  await knex.raw(`CREATE TRIGGER request_history_no_change BEFORE UPDATE OR DELETE ON request_history
    FOR EACH ROW EXECUTE FUNCTION request_history_append_only()`);
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('request_history');
  await knex.raw('DROP FUNCTION request_history_append_only()');
}
