import type { Knex } from 'knex';

/**
 * Uploaded photos and files (issue #18), owned by src/media. A row is written before its file is stored
 * (committed_at null) and committed in the transaction that creates its request or update, so the sweep
 * can find and delete the files of a transaction that never committed.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('media', (t) => {
    t.text('id').primary(); // 128 random bits, base32: unguessable, it is the public URL
    t.text('jurisdiction_id').notNullable();
    t.bigInteger('request_id').references('service_requests.id');
    t.bigInteger('history_id').references('request_history.id'); // an update's media
    t.integer('position').notNullable().defaultTo(0);
    t.text('kind').notNullable(); // image, pdf
    t.text('content_type').notNullable();
    t.text('ext').notNullable();
    t.integer('bytes').notNullable();
    t.integer('width');
    t.integer('height');
    t.text('sha256').notNullable();
    t.text('storage_key').notNullable();
    t.text('thumb_key');
    t.text('thumb_ext');
    t.timestamp('created_at', { useTz: true }).notNullable();
    t.timestamp('committed_at', { useTz: true });
    t.timestamp('hidden_at', { useTz: true });
    t.text('hidden_by');
  });
  await knex.raw('CREATE INDEX media_request ON media (request_id, position) WHERE request_id IS NOT NULL');
  await knex.raw('CREATE INDEX media_history ON media (history_id) WHERE history_id IS NOT NULL');
  await knex.raw('CREATE INDEX media_pending ON media (created_at) WHERE committed_at IS NULL');
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('media');
}
