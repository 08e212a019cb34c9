import type { Knex } from 'knex';

// Issue #15: reusing an Idempotency-Key / client_request_id with a different body must be refused (409),
// not answered with the first result; the request keeps a hash of the submission it was created from.
// (A batch token keeps the same hash inside its stored submission.)
export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('service_requests', (t) => {
    t.text('client_request_fingerprint');
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('service_requests', (t) => {
    t.dropColumn('client_request_fingerprint');
  });
}
