import type { Knex } from 'knex';
import { preparedRaw, statementName } from './prepared';

/** A fixed statement of a hot path: its text in both placeholder styles and its prepared-statement name. */
export interface HotStatement {
  /** With `?` placeholders, for knex (the embedded database, a transaction). */
  readonly sql: string;
  /** With `$1`…, for pg. */
  readonly text: string;
  readonly name: string;
}

/**
 * A statement whose SQL never changes, worked out once (at import): its `$n` text and its name. `?` marks
 * a parameter, as in knex.raw; the SQL may hold no other question mark.
 */
export function hotStatement(sql: string): HotStatement {
  let n = 0;
  return {
    sql,
    text: sql.replace(/\?/g, () => `$${(n += 1)}`),
    name: statementName(sql),
  };
}

interface PgConnection {
  query(config: { name: string; text: string; values: readonly unknown[] }): Promise<{ rows: unknown[] }>;
}

/**
 * Runs a hot statement (issue #21: the three statements of a POST). On PostgreSQL, outside a transaction,
 * straight on a connection of knex's pool as a named pg query: prepared once per connection, and none of
 * knex's per-query work (placeholder scans of a long text, the runner, its events; ~0.1 ms of CPU a
 * statement, a tenth of a POST's). Elsewhere (the embedded database, a transaction) through preparedRaw,
 * under the same name. The rows either way.
 */
export async function runHot(
  knex: Knex | Knex.Transaction,
  statement: HotStatement,
  values: readonly unknown[],
): Promise<unknown[]> {
  const client = knex.client as Knex.Client & { config: { client?: unknown } };
  if (client.config.client !== 'pg' || knex.isTransaction) {
    return ((await preparedRaw(knex, statement.sql, values as Knex.RawBinding[])) as { rows: unknown[] })
      .rows;
  }
  const connection = (await client.acquireConnection()) as PgConnection;
  try {
    const result = await connection.query({ name: statement.name, text: statement.text, values });
    return result.rows;
  } finally {
    await client.releaseConnection(connection);
  }
}
