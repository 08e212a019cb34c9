import crypto from 'node:crypto';
import type { Knex } from 'knex';

// Module-level on purpose: a name is a pure function of the SQL text (nothing to go stale), at most 500.
const names = new Map<string, string>();

/**
 * A raw statement that PostgreSQL prepares once per connection and then only executes: knex hands
 * `options` to pg's query config, and a named query is parsed and planned once (pg_stat_statements put
 * planning at a third of a POST's database time). The name comes from the SQL text, so two texts never
 * share one. The embedded client (pglite-client.ts) prepares it once too. For the hot paths only (intake),
 * whose SQL is fixed.
 */
export function preparedRaw(
  knex: Knex | Knex.Transaction,
  sql: string,
  bindings: readonly Knex.RawBinding[],
): Knex.Raw {
  let name = names.get(sql);
  if (name === undefined) {
    name = statementName(sql);
    if (names.size < 500) names.set(sql, name);
  }
  return knex.raw(sql, bindings).options({ name });
}

/** The prepared-statement name of a SQL text: from the text, so two texts never share one. */
export function statementName(sql: string): string {
  return `o311_${crypto.createHash('sha1').update(sql).digest('hex').slice(0, 24)}`;
}
