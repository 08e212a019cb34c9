import type { Knex } from 'knex';

/** API keys: random secrets shown once, stored as SHA-256 hashes, with a role and an intake channel. */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('api_keys', (t) => {
    t.bigIncrements('id').primary();
    t.text('name').notNullable();
    t.text('prefix').notNullable(); // first characters of the key, to recognise it in lists
    t.text('key_hash').notNullable().unique();
    t.text('role').notNullable();
    t.text('channel').notNullable();
    t.text('jurisdiction_id').references('jurisdictions.id').onDelete('CASCADE');
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.timestamp('revoked_at', { useTz: true });
    t.timestamp('last_used_at', { useTz: true });
    t.check("role IN ('client', 'staff', 'admin')", [], 'api_keys_role_check');
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('api_keys');
}
