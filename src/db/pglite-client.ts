/**
 * knex's PGlite client (knex-pglite) with one round trip per query instead of six.
 *
 * PGlite's `query()` sends Parse, Describe (statement), Bind, Describe (portal), Execute and Sync as six
 * separate calls into the WebAssembly backend, the first Describe only to learn the parameters' types so
 * that it can serialise them. This client serialises parameters as node-postgres does (text, typed by the
 * server: what the same knex queries send to PostgreSQL in the other mode) and sends the whole extended-
 * protocol exchange in one call. A statement given a name (preparedRaw, src/db/prepared.ts) is parsed and
 * planned once per connection, as on PostgreSQL. The result goes through PGlite's own parsers, so rows
 * have the same types as before. Measured by bench/run-embedded.ts (docs/decisions/0002-performance.md).
 */
import type { PGlite, Results } from '@electric-sql/pglite';

interface KnexQueryObject {
  sql: string;
  bindings?: readonly unknown[];
  options?: { name?: string };
  response?: unknown;
}

interface Pglite05 extends PGlite {
  parsers: Record<number, (value: string, typeId?: number) => unknown>;
}

/**
 * PGlite's wire protocol helpers and node-postgres's value conversion, loaded when the embedded database is
 * first queried: this file is imported by db/connect.ts in every process, and a server on PostgreSQL must
 * not load PGlite (about 40 MB of RSS, docs/decisions/0002-performance.md). A memo of the loaded modules.
 */
let wireModules:
  | {
      serialize: (typeof import('@electric-sql/pglite'))['protocol']['serialize'];
      parse: (typeof import('@electric-sql/pglite'))['parse'];
      prepareValue: (v: unknown) => unknown;
    }
  | undefined;

function wire(): NonNullable<typeof wireModules> {
  if (wireModules) return wireModules;
  /* eslint-disable @typescript-eslint/no-require-imports */
  const { protocol, parse } = require('@electric-sql/pglite') as typeof import('@electric-sql/pglite');
  // node-postgres's own conversion of a JS value to a parameter's text (Dates, arrays, objects as JSON).
  const { prepareValue } = require('pg/lib/utils') as { prepareValue: (v: unknown) => unknown };
  /* eslint-enable @typescript-eslint/no-require-imports */
  wireModules = { serialize: protocol.serialize, parse, prepareValue };
  return wireModules;
}

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/**
 * Runs one statement with one call into the backend; the result as PGlite's `query()` returns it.
 * `names`: the statement names already prepared on this PGlite instance.
 */
export async function runQuery(
  pglite: PGlite,
  names: Set<string>,
  sql: string,
  bindings: readonly unknown[],
  name?: string,
): Promise<Results> {
  const { serialize, parse, prepareValue } = wire();
  const values = bindings.map((v) => {
    const text = prepareValue(v);
    return text === null || text === undefined ? null : (text as string | Buffer);
  });
  const needsParse = !name || !names.has(name);
  const message = concat([
    ...(needsParse ? [serialize.parse({ name: name ?? '', text: sql, types: [] })] : []),
    serialize.bind({ statement: name ?? '', values: values as never }),
    serialize.describe({ type: 'P' }),
    serialize.execute({}),
    serialize.sync(),
  ]);
  try {
    const { messages } = await pglite.runExclusive(() => pglite.execProtocol(message, { syncToFs: false }));
    if (name && needsParse) names.add(name);
    return parse.parseResults(messages, (pglite as Pglite05).parsers)[0] as Results;
  } catch (err) {
    // A named statement whose Parse went through but whose Bind failed exists now: close it, so that the
    // next call parses it again instead of failing on "already exists".
    if (name && needsParse) {
      await pglite
        .runExclusive(() =>
          pglite.execProtocol(concat([serialize.close({ type: 'S', name }), serialize.sync()]), {
            syncToFs: false,
            throwOnError: false,
          }),
        )
        .catch(() => {});
    }
    throw Object.assign(err as Error, { query: sql });
  }
}

type ClientClass = new (config: unknown) => object;

const PREPARED = Symbol('open311.preparedStatements');

/** knex-pglite's client class with `_query` replaced by runQuery. */
export function fastPgliteClient(Base: ClientClass): ClientClass {
  return class ClientPgliteOneTrip extends Base {
    async _query(connection: PGlite, obj: KnexQueryObject): Promise<KnexQueryObject> {
      if (!obj.sql) throw new Error('The query is empty');
      // Kept on the connection: knex runs a transaction's queries through a copy of the client's prototype.
      const holder = connection as PGlite & { [PREPARED]?: Set<string> };
      obj.response = await runQuery(
        connection,
        (holder[PREPARED] ??= new Set()),
        obj.sql,
        obj.bindings ?? [],
        obj.options?.name,
      );
      return obj;
    }
  };
}
