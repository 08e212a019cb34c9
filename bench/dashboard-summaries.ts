/**
 * `npx tsx bench/dashboard-summaries.ts` (issue #21, target 2): the dashboard's summary computed in this
 * process (no HTTP, no server), one new period after the other (a new end second each, so never a cache
 * hit), a week, a month, a quarter and a year in every layer, after one worker pass; prints the median per
 * period kind. It measures the code and the database, not Express, and runs either checkout's code on its
 * own database: BENCH_ROOT=<another checkout> (with its node_modules) and BENCH_DATABASE_URL, so main's
 * code and this one can be compared in interleaved rounds on a shared machine. It only reads (and rolls).
 */
import path from 'node:path';

const DAY_MS = 86_400_000;
const ROOT = path.resolve(process.env.BENCH_ROOT ?? path.resolve(__dirname, '..'));
const URL_ = process.env.BENCH_DATABASE_URL ?? process.env.DATABASE_URL;
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);

interface Modules {
  openDatabase: (t: { kind: 'postgres'; url: string; poolMax: number }) => Promise<{
    knex: { raw: (sql: string) => Promise<{ rows: Array<Record<string, unknown>> }> };
    close: () => Promise<void>;
  }>;
  createLoadingCache: (clock: () => Date, o: { max: number; ttlMs: number }) => unknown;
  summary: (knex: unknown, cache: unknown, q: object) => Promise<unknown>;
  refreshRollups?: (knex: unknown, now: Date) => Promise<{ days: number }>;
}

async function modules(): Promise<Modules> {
  const from = (p: string) => import(path.join(ROOT, p));
  const [db, cache, data, rollup] = await Promise.all([
    from('src/db/index.ts'),
    from('src/cache.ts'),
    from('src/dashboard/data.ts'),
    from('src/rollup/index.ts').catch(() => ({})),
  ]);
  return { ...db, ...cache, ...data, ...rollup } as Modules;
}

async function main(): Promise<void> {
  if (!URL_) throw new Error('BENCH_DATABASE_URL (or DATABASE_URL) is required');
  const m = await modules();
  const db = await m.openDatabase({ kind: 'postgres', url: URL_, poolMax: 4 });
  try {
    const jurisdiction = (await db.knex.raw('SELECT id, time_zone FROM jurisdictions ORDER BY id LIMIT 1'))
      .rows[0] as { id: string; time_zone: string };
    const newest = (await db.knex.raw('SELECT max(requested_at) AS t FROM service_requests')).rows[0] as {
      t: Date;
    };
    const layers = (await db.knex.raw('SELECT DISTINCT layer FROM districts ORDER BY layer')).rows.map((r) =>
      String(r.layer),
    );
    if (m.refreshRollups)
      for (let i = 0; i < 10; i += 1) if ((await m.refreshRollups(db.knex, new Date())).days === 0) break;
    const cache = m.createLoadingCache(() => new Date(), { max: 500, ttlMs: 60_000 });
    const t = new Date(newest.t);
    const end0 = Date.UTC(t.getUTCFullYear(), t.getUTCMonth(), t.getUTCDate() + 1);
    const kinds: Array<[string, number]> = [
      ['week', 7],
      ['month', 30],
      ['quarter', 91],
      ['year', 365],
    ];
    const ms = new Map<string, number[]>();
    let unique = Math.floor(Math.random() * 1e6);
    // The first round warms the connections and the caches and is not counted.
    for (let round = 0; round <= ROUNDS; round += 1)
      for (const [label, days] of kinds)
        for (const layer of layers) {
          unique += 1;
          const q = {
            jurisdictionId: jurisdiction.id,
            timeZone: jurisdiction.time_zone,
            start: new Date(end0 - days * DAY_MS),
            end: new Date(end0 - unique * 1000),
            now: new Date(),
            layer,
          };
          const t0 = performance.now();
          await m.summary(db.knex, cache, q);
          if (round > 0) ms.set(label, [...(ms.get(label) ?? []), performance.now() - t0]);
        }
    const median = (a: number[]) => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)] ?? 0;
    console.log(
      `${ROOT}: ${[...ms].map(([k, v]) => `${k} ${Math.round(median(v))} ms`).join(', ')} (median of ${ROUNDS * layers.length} new periods each)`,
    );
  } finally {
    await db.close();
  }
}

void main();
