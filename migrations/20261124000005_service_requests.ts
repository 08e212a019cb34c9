import type { Knex } from 'knex';

// mySociety's detailed statuses that count as closed; everything else is open (OPEN311.md).
const CLOSED = [
  'fixed',
  'closed',
  'duplicate',
  'not_councils_responsibility',
  'no_further_action',
  'internal_referral',
  'cancelled',
];

/** Service requests. Personal data lives apart in request_contacts so public queries never touch it. */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('service_requests', (t) => {
    t.bigIncrements('id').primary();
    t.text('jurisdiction_id').notNullable().references('jurisdictions.id');
    t.bigInteger('service_id').notNullable().references('services.id');
    t.text('detailed_status').notNullable().defaultTo('open');
    t.text('status_notes');
    t.text('description');
    t.bigInteger('agency_id').references('agencies.id');
    t.text('service_notice');
    t.text('priority').notNullable().defaultTo('normal');
    t.text('assigned_to');
    t.timestamp('requested_at', { useTz: true }).notNullable();
    // Time of the latest public change (Open311 updated_datetime).
    t.timestamp('updated_at', { useTz: true }).notNullable();
    t.timestamp('closed_at', { useTz: true });
    t.timestamp('expected_at', { useTz: true });
    t.text('address');
    t.bigInteger('address_id').references('address_points.id').onDelete('SET NULL');
    t.text('zipcode');
    t.specificType('media_urls', 'text[]').notNullable().defaultTo('{}');
    t.text('channel').notNullable();
    t.bigInteger('api_key_id').references('api_keys.id').onDelete('SET NULL');
    t.jsonb('attributes').notNullable().defaultTo('{}');
    t.jsonb('districts').notNullable().defaultTo('{}'); // {"ward": "Ward 5", ...}
    t.bigInteger('parent_request_id').references('service_requests.id');
    t.integer('supporter_count').notNullable().defaultTo(0);
    t.text('client_request_id'); // idempotency: client_request_id field or Idempotency-Key header
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.check("priority IN ('low', 'normal', 'high', 'urgent')", [], 'service_requests_priority_check');
  });
  await knex.raw(
    `ALTER TABLE service_requests ADD COLUMN status text GENERATED ALWAYS AS
       (CASE WHEN detailed_status IN (${CLOSED.map((s) => `'${s}'`).join(', ')}) THEN 'closed' ELSE 'open' END) STORED`,
  ); // DDL takes no bind parameters; CLOSED is a constant list above.
  await knex.raw('ALTER TABLE service_requests ADD COLUMN location geography(Point, 4326)');
  // Numbers clients see start past 100000 so they never look like row counts.
  await knex.raw("SELECT setval(pg_get_serial_sequence('service_requests', 'id'), 100000)");

  // Hot reads: newest first by jurisdiction, by status, by service, changed-since, and by location.
  await knex.raw(
    'CREATE INDEX sr_requested ON service_requests (jurisdiction_id, requested_at DESC, id DESC)',
  );
  await knex.raw(
    'CREATE INDEX sr_status_requested ON service_requests (jurisdiction_id, status, requested_at DESC, id DESC)',
  );
  await knex.raw(
    'CREATE INDEX sr_service_requested ON service_requests (service_id, requested_at DESC, id DESC)',
  );
  await knex.raw('CREATE INDEX sr_updated ON service_requests (jurisdiction_id, updated_at DESC, id DESC)');
  await knex.raw('CREATE INDEX sr_location_gist ON service_requests USING gist (location)');
  // district_layer/district filters: districts @> '{"ward": "Ward 5"}'.
  await knex.raw('CREATE INDEX sr_districts_gin ON service_requests USING gin (districts jsonb_path_ops)');
  await knex.raw('CREATE INDEX sr_agency ON service_requests (agency_id, requested_at DESC)');
  await knex.raw(
    'CREATE INDEX sr_parent ON service_requests (parent_request_id) WHERE parent_request_id IS NOT NULL',
  );
  await knex.raw(
    'CREATE UNIQUE INDEX sr_idempotency ON service_requests (api_key_id, client_request_id) WHERE client_request_id IS NOT NULL',
  );

  await knex.schema.createTable('request_contacts', (t) => {
    t.bigInteger('request_id').primary().references('service_requests.id').onDelete('CASCADE');
    t.text('email');
    t.text('phone');
    t.text('first_name');
    t.text('last_name');
    t.text('device_id');
    t.text('account_id');
  });

  // Batch services (Open311 type=batch) answer with a token; the request is created later by the worker.
  await knex.schema.createTable('request_tokens', (t) => {
    t.text('token').primary();
    t.text('jurisdiction_id').notNullable().references('jurisdictions.id');
    t.bigInteger('service_id').notNullable().references('services.id');
    t.bigInteger('api_key_id').references('api_keys.id').onDelete('SET NULL');
    t.jsonb('submission').notNullable();
    t.bigInteger('request_id').references('service_requests.id');
    t.text('client_request_id');
    t.timestamp('created_at', { useTz: true }).notNullable();
    t.timestamp('processed_at', { useTz: true });
  });
  await knex.raw(
    'CREATE INDEX request_tokens_pending ON request_tokens (created_at) WHERE processed_at IS NULL',
  );
  await knex.raw(
    'CREATE UNIQUE INDEX request_tokens_idempotency ON request_tokens (api_key_id, client_request_id) WHERE client_request_id IS NOT NULL',
  );
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('request_tokens');
  await knex.schema.dropTable('request_contacts');
  await knex.schema.dropTable('service_requests');
}
