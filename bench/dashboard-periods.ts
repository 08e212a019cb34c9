/**
 * The dashboard's first requests (issue #21, target 2), for bench/opendata.ts: the summary of a period
 * nobody asked for yet, for a week, a month, a quarter, a year and a custom period, in every layer, each
 * sample a new period (a new end second, so never a cache hit); and 8 new periods asked at once. The
 * daily rollups are brought up to date first (what the worker does), timed; a tree without src/rollup
 * (main before issue #21) skips that.
 */
import { migrateLatest, openDatabase } from '../src/db';
import { percentile, timedGet } from './harness';

const DAY_MS = 86_400_000;
const iso = (d: Date) => `${d.toISOString().slice(0, 19)}Z`;

export interface FirstRun {
  period: string;
  layer: string;
  samples: number;
  p50: number;
  p95: number;
  max: number;
  errors: number;
}

export interface Burst {
  n: number;
  p50: number;
  max: number;
  statuses: string;
}

/** Requests of a period's last 24 hours, and of the median day before it. */
export interface DayLoad {
  lastDay: number;
  typicalDay: number;
}

export interface RollupBuild {
  seconds: number;
  ticks: number;
  days: number;
}

/**
 * src/rollup, or null on a tree without it. `require`, not `import()`: `npm run bench` runs this file under
 * `--require tsx/cjs`, where a dynamic import of TypeScript fails, and a swallowed failure measured the
 * dashboard without its rollups. Any other failure is thrown.
 */
function loadRollup(modPath: string): unknown {
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    return require(modPath) as unknown;
  } catch (err) {
    if ((err as { code?: string }).code === 'MODULE_NOT_FOUND') return null;
    throw err;
  }
}

/** Runs the rollup's worker pass until it has nothing left to roll (none on a tree without it). */
export async function buildRollups(url: string): Promise<RollupBuild | null> {
  const modPath = '../src/rollup';
  const mod = loadRollup(modPath) as null | {
    refreshRollups: (k: unknown, now: Date, o?: { chunkDays?: number }) => Promise<{ days: number }>;
  };
  if (!mod?.refreshRollups) return null;
  const db = await openDatabase({ kind: 'postgres', url, poolMax: 2 });
  try {
    await migrateLatest(db.knex);
    const t0 = performance.now();
    let ticks = 0;
    let days = 0;
    for (;;) {
      const r = await mod.refreshRollups(db.knex, new Date());
      ticks += 1;
      days += r.days;
      if (r.days === 0 && ticks > 1) break;
    }
    const seconds = Math.round((performance.now() - t0) / 100) / 10;
    console.log(`rollups brought up to date: ${ticks} passes, ${days} days, ${seconds} s`);
    return { seconds, ticks, days };
  } finally {
    await db.close();
  }
}

/**
 * The worker's pass between batches of first requests (untimed): in service the worker rolls every few
 * seconds, so days whose open requests come due during a long run are rolled again, as they would be;
 * without it they are computed from the requests. None on a tree without the rollup.
 */
export async function rollupKeeper(
  url: string,
): Promise<{ pass: () => Promise<void>; close: () => Promise<void> } | null> {
  const modPath = '../src/rollup';
  const mod = loadRollup(modPath) as null | {
    refreshRollups: (k: unknown, now: Date) => Promise<{ days: number }>;
  };
  if (!mod?.refreshRollups) return null;
  const db = await openDatabase({ kind: 'postgres', url, poolMax: 1 });
  return {
    pass: async () => {
      for (let i = 0; i < 5; i += 1) if ((await mod.refreshRollups(db.knex, new Date())).days === 0) break;
    },
    close: () => db.close(),
  };
}

export function periodsOf(end: Date): Array<{ label: string; start: Date; end: Date }> {
  return [
    { label: 'week', start: new Date(end.getTime() - 7 * DAY_MS), end },
    { label: 'month', start: new Date(end.getTime() - 30 * DAY_MS), end },
    { label: 'quarter', start: new Date(end.getTime() - 91 * DAY_MS), end },
    { label: 'year', start: new Date(end.getTime() - 365 * DAY_MS), end },
    // Custom: 45 days ending 20 days ago, neither edge on a day boundary.
    {
      label: 'custom (45 days, odd hours)',
      start: new Date(end.getTime() - 65 * DAY_MS + 5 * 3_600_000),
      end: new Date(end.getTime() - 20 * DAY_MS + 7 * 3_600_000),
    },
  ];
}

let unique = 0;
/** A period's summary URL with a new end second each call: a first request every time. */
function fresh(p: { start: Date; end: Date }, layer: string): string {
  unique += 1;
  const e = new Date(p.end.getTime() - unique * 1000);
  return `/dashboard/api/summary?start_date=${iso(p.start)}&end_date=${iso(e)}&layer=${layer}`;
}

export async function firstRequests(
  port: number,
  end: Date,
  layers: string[],
  samples: number,
  between?: () => Promise<void>,
  /** Added to each period's label (a second set of periods with another end). */
  suffix = '',
): Promise<FirstRun[]> {
  const out: FirstRun[] = [];
  for (const p of periodsOf(end))
    for (const layer of layers) {
      await between?.();
      const ms: number[] = [];
      let errors = 0;
      for (let i = 0; i < samples; i += 1) {
        const r = await timedGet(port, fresh(p, layer));
        ms.push(r.ms);
        if (r.status !== 200) errors += 1;
      }
      ms.sort((a, b) => a - b);
      const run = {
        period: `${p.label}${suffix}`,
        layer,
        samples,
        p50: Math.round(percentile(ms, 50)),
        p95: Math.round(percentile(ms, 95)),
        max: Math.round(ms[ms.length - 1] ?? 0),
        errors,
      };
      console.log(
        `first request, ${run.period}, ${layer}: p50 ${run.p50} ms, p95 ${run.p95} ms, max ${run.max} ms${errors ? `, ${errors} errors` : ''}`,
      );
      out.push(run);
    }
  return out;
}

/** 8 new periods (every kind, two layers) asked at the same moment. */
export async function newPeriodsAtOnce(port: number, end: Date, layers: string[]): Promise<Burst> {
  const ps = periodsOf(end);
  const paths = Array.from({ length: 8 }, (_, i) =>
    fresh(ps[i % ps.length] as { start: Date; end: Date }, layers[i % layers.length] as string),
  );
  const rs = await Promise.all(paths.map((p) => timedGet(port, p)));
  const ms = rs.map((r) => r.ms).sort((a, b) => a - b);
  const counts = new Map<number, number>();
  for (const r of rs) counts.set(r.status, (counts.get(r.status) ?? 0) + 1);
  const burst = {
    n: rs.length,
    p50: Math.round(percentile(ms, 50)),
    max: Math.round(ms[ms.length - 1] ?? 0),
    statuses: [...counts].map(([s, n]) => `${n}× ${s === 0 ? 'timeout/error' : s}`).join(', '),
  };
  console.log(`8 new periods at once: p50 ${burst.p50} ms, slowest ${burst.max} ms (${burst.statuses})`);
  return burst;
}

/**
 * Requests received in the last 24 hours before `end` (the partial day every first request reads from the
 * requests themselves, not the rollup) against the median day of the 90 before: a benchmark that posted
 * for minutes before this one leaves a day many times the usual, and the figures then say so.
 */
export async function lastDayLoad(url: string, end: Date): Promise<DayLoad> {
  const db = await openDatabase({ kind: 'postgres', url, poolMax: 1 });
  try {
    const row = (
      await db.knex.raw(
        `SELECT (SELECT count(*) FROM service_requests WHERE requested_at >= ?::timestamptz - interval '1 day'
                   AND requested_at < ?)::int AS last_day,
                (SELECT percentile_disc(0.5) WITHIN GROUP (ORDER BY n) FROM (
                   SELECT count(*) AS n FROM service_requests
                    WHERE requested_at >= ?::timestamptz - interval '91 days' AND requested_at < ?::timestamptz - interval '1 day'
                    GROUP BY date_trunc('day', requested_at)) d)::int AS typical_day`,
        [end, end, end, end],
      )
    ).rows[0] as { last_day: number; typical_day: number };
    return { lastDay: row.last_day, typicalDay: row.typical_day };
  } finally {
    await db.close();
  }
}

export function dashboardLines(
  firsts: FirstRun[],
  bursts: Burst[],
  rollup: RollupBuild | null,
  load?: DayLoad,
  earlier?: DayLoad,
): string[] {
  return [
    `First requests (issue #21): the summary of a period nobody asked for yet (a new end second each sample, so the figures cache never answers), ${firsts[0]?.samples ?? 0} samples per period and layer, one at a time; then 8 new periods at once (every kind, two layers). ${rollup ? `The daily rollups were brought up to date first (${rollup.ticks} passes, ${rollup.days} days, ${rollup.seconds} s from empty or from where they were), and again (untimed) before each period and layer and each burst, as the worker keeps them every few seconds (days whose open requests come due during the run are rolled again).` : 'No rollups (a tree before them).'} Target p95 < 300 ms.${load ? ` Every period ends on the data's last day, rolled by the worker up to its last cut-off (now rounded down to 5 minutes, the partial day of docs/decisions/0011) and read from the requests after it: ${load.lastDay.toLocaleString('en-US')} requests in its 24 hours, against ${load.typicalDay.toLocaleString('en-US')} on the median day of the 90 before${load.lastDay > 3 * load.typicalDay ? ' (the posts of the benchmarks run before this one on the same database)' : ''}.` : ''}${earlier ? ` The same periods were then asked ending at 00:00 UTC of that day ("ending a day earlier"), whose last 24 hours hold ${earlier.lastDay.toLocaleString('en-US')} requests, a day as the city's data has them.` : ''}`,
    '',
    '| period | layer | p50 | p95 | max | errors | result |',
    '|---|---|---|---|---|---|---|',
    ...firsts.map(
      (f) =>
        `| ${f.period} | ${f.layer} | ${f.p50} ms | ${f.p95} ms | ${f.max} ms | ${f.errors} | ${f.p95 < 300 && f.errors === 0 ? 'met' : '**not met**'} |`,
    ),
    '',
    ...bursts.map((b) => `8 new periods at once: p50 ${b.p50} ms, slowest ${b.max} ms; ${b.statuses}.`),
  ];
}
