/**
 * The dashboard's performance figures from the rollups (issue #21, target 2), agreeing with
 * reports/performance.ts: complete local days that are rolled and unchanged since come from
 * request_rollup_days (whole months of them from request_rollup_months); everything else of the period
 * (its partial first and last days, days not rolled yet, days changed since the last worker pass, days
 * whose open requests came due) is read directly from the requests, so the figures are right however far
 * behind the worker is, only slower. Counts are exact. Median and p90 of days-to-close are exact for a
 * period of up to EXACT_MAX_DAYS (from the days' stored values); beyond, they come from the summed
 * log-bucket histograms, within 1% of the exact percentile (bucket 0 holds closures within a minute,
 * read as 0 days; see sketch.ts).
 */
import type { Knex } from 'knex';
import type { PerformanceRow } from '../reports';
import { bucketSql, sketchQuantile } from './sketch';
import { countColumns, dayStart, districtKind, keyedRows, type Range } from './keyed';
import { addDays, changedDays, fingerprintBindings, fingerprintSql } from './state';

export const EXACT_MAX_DAYS = 8;
const DAY_MS = 86_400_000;

export interface RolledQuery {
  jurisdictionId: string;
  timeZone: string;
  start: Date;
  end: Date;
  now: Date;
  layer: string;
}

export interface RolledFigures {
  all: PerformanceRow[];
  byDistrict: PerformanceRow[];
  byChannel: PerformanceRow[];
  weekly: Array<{ week: string; received: number; closed: number }>;
  /** How the figures were made: rolled days used, and whether the percentiles are exact. */
  source: { rolledDays: number; exact: boolean };
}

interface CountRow {
  kind: string;
  grp: string;
  received: number;
  closed: number;
  closed_with_level: number;
  closed_on_time: number;
  open_backlog: number;
  overdue: number;
}

/**
 * The complete local days of [start, end) that are rolled and clean, in order: the rollup's state and
 * fingerprint, the period's whole days and the days whose open requests came due in one round trip, then
 * the days changed since the worker's last pass (history past its watermark).
 */
async function cleanDays(knex: Knex, q: RolledQuery): Promise<string[]> {
  const row = (
    await knex.raw(
      `WITH st AS (SELECT fingerprint, rolled_from, rolled_until, history_seen FROM request_rollup_state WHERE jurisdiction_id = ?),
            p AS (SELECT ?::timestamptz AS s, ?::timestamptz AS e, ?::text AS tz)
       SELECT (SELECT fingerprint FROM st) AS stored, ${fingerprintSql} AS fp,
              (SELECT rolled_from::text FROM st) AS rolled_from, (SELECT rolled_until::text FROM st) AS rolled_until, (SELECT history_seen::text FROM st) AS seen,
              (CASE WHEN (s AT TIME ZONE tz)::time = '00:00' THEN (s AT TIME ZONE tz)::date
                    ELSE (s AT TIME ZONE tz)::date + 1 END)::text AS d0,
              (e AT TIME ZONE tz)::date::text AS d1,
              ARRAY(SELECT day::text FROM request_rollup_days
                     WHERE jurisdiction_id = ? AND kind = 'all' AND (next_due <= ? OR rolled_at > ?)) AS due
         FROM p`,
      [
        q.jurisdictionId,
        q.start,
        q.end,
        q.timeZone,
        ...fingerprintBindings(q.jurisdictionId, q.timeZone),
        q.jurisdictionId,
        q.now,
        q.now,
      ],
    )
  ).rows[0] as {
    stored: string | null;
    fp: string;
    rolled_from: string | null;
    rolled_until: string | null;
    seen: string | null;
    d0: string;
    d1: string;
    due: string[];
  };
  if (
    row.stored === null ||
    row.rolled_from === null ||
    row.rolled_until === null ||
    row.seen === null ||
    row.stored !== row.fp
  )
    return [];
  const d0 = row.d0 > row.rolled_from ? row.d0 : row.rolled_from;
  const d1 = row.d1 < row.rolled_until ? row.d1 : row.rolled_until;
  if (d0 >= d1) return [];
  // Its own statement, so the planner sees the watermark (few rows past it) rather than guessing a third
  // of the history table (and compiling the plan with JIT).
  const changed = await changedDays(knex, q.jurisdictionId, q.timeZone, row.seen);
  const dirty = new Set([...changed, ...row.due]);
  const days: string[] = [];
  for (let d = d0; d < d1; d = addDays(d, 1)) if (!dirty.has(d)) days.push(d);
  return days;
}

/** The parts of [start, end) outside the clean days, as time ranges. */
function directRanges(knex: Knex, q: RolledQuery, days: string[]): Range[] {
  const ranges: Range[] = [];
  let from: Knex.Raw = knex.raw('?::timestamptz', [q.start]);
  let i = 0;
  while (i < days.length) {
    const runStart = days[i] as string;
    let runEnd = addDays(runStart, 1);
    while (days[i + 1] === runEnd) {
      i += 1;
      runEnd = addDays(runEnd, 1);
    }
    ranges.push({ from, to: dayStart(knex, runStart, q.timeZone) });
    from = dayStart(knex, runEnd, q.timeZone);
    i += 1;
  }
  ranges.push({ from, to: knex.raw('?::timestamptz', [q.end]) });
  return ranges;
}

/** Whole months among the clean days, and the days left. */
function splitMonths(days: string[]): { months: string[]; rest: string[] } {
  const set = new Set(days);
  const months: string[] = [];
  const inMonth = new Set<string>();
  for (const d of days) {
    if (!d.endsWith('-01')) continue;
    const all: string[] = [];
    for (let x = d; x.slice(0, 7) === d.slice(0, 7); x = addDays(x, 1)) all.push(x);
    if (all.every((x) => set.has(x))) {
      months.push(d);
      for (const x of all) inMonth.add(x);
    }
  }
  return { months, rest: days.filter((d) => !inMonth.has(d)) };
}

export async function rolledFigures(knex: Knex, q: RolledQuery): Promise<RolledFigures> {
  const days = await cleanDays(knex, q);
  const exact = q.end.getTime() - q.start.getTime() <= EXACT_MAX_DAYS * DAY_MS + 3_600_000;
  const { months, rest } = exact ? { months: [], rest: days } : splitMonths(days);
  const kinds = ['all', 'channel', districtKind(q.layer)];
  const direct = keyedRows(
    knex,
    { jurisdictionId: q.jurisdictionId, timeZone: q.timeZone, bounds: { start: q.start, end: q.end } },
    directRanges(knex, q, days),
    { channel: true, service: false, layers: [q.layer] },
  );
  const sums = `sum(received)::int AS received, sum(closed)::int AS closed,
    sum(closed_with_level)::int AS closed_with_level, sum(closed_on_time)::int AS closed_on_time,
    sum(open_backlog)::int AS open_backlog, sum(overdue)::int AS overdue`;
  const cols = 'kind, grp, received, closed, closed_with_level, closed_on_time, open_backlog, overdue';
  // Exact: each group's stored values (days) and the direct rows' own, sorted here as percentile_cont
  // would (JS sorts 200k numbers faster than PostgreSQL's sort, which spills to disk at work_mem). Long:
  // each group's histograms (months, days, direct rows bucketed), summed here.
  const percentiles = exact
    ? `(SELECT json_agg(x) FROM (
          SELECT kind, grp, close_days AS v FROM days
          UNION ALL SELECT kind, grp, array_agg(dtc) FROM direct WHERE dtc IS NOT NULL GROUP BY kind, grp) x)`
    : `(SELECT json_agg(x) FROM (
          SELECT kind, grp, hist_b AS b, hist_c AS c FROM months
          UNION ALL SELECT kind, grp, hist_b, hist_c FROM days
          UNION ALL SELECT kind, grp, array_agg(b ORDER BY b), array_agg(n ORDER BY b)
            FROM (SELECT kind, grp, ${bucketSql('dtc')} AS b, count(*)::int AS n
                    FROM direct WHERE dtc IS NOT NULL GROUP BY 1, 2, 3) d
           GROUP BY kind, grp) x)`;
  const result = (
    await knex.raw(
      `WITH direct AS MATERIALIZED (?),
       months AS (SELECT * FROM request_rollup_months
                   WHERE jurisdiction_id = ? AND month = ANY(?::date[]) AND kind = ANY(?::text[])),
       days AS (SELECT * FROM request_rollup_days
                 WHERE jurisdiction_id = ? AND day = ANY(?::date[]) AND kind = ANY(?::text[])),
       weekly AS (
         SELECT to_char(date_trunc('week', day::timestamp), 'YYYY-MM-DD') AS week,
                sum(received)::int AS received, sum(closed)::int AS closed
           FROM (SELECT day, received, closed FROM request_rollup_days
                  WHERE jurisdiction_id = ? AND day = ANY(?::date[]) AND kind = 'all'
                 UNION ALL
                 SELECT day, count(*)::int, count(*) FILTER (WHERE status = 'closed')::int
                   FROM direct WHERE kind = 'all' GROUP BY day) w
          GROUP BY 1)
       SELECT
         (SELECT json_agg(c ORDER BY c.kind, c.grp) FROM (
            SELECT kind, grp, ${sums} FROM (
              SELECT ${cols} FROM months UNION ALL SELECT ${cols} FROM days
              UNION ALL SELECT kind, grp, ? FROM direct GROUP BY kind, grp) x
             GROUP BY kind, grp) c) AS counts,
         ${percentiles} AS percentiles,
         (SELECT json_agg(w ORDER BY w.week) FROM weekly w) AS weekly`,
      [
        direct,
        q.jurisdictionId,
        months,
        kinds,
        q.jurisdictionId,
        rest,
        kinds,
        q.jurisdictionId,
        days,
        countColumns(knex, q.now),
      ],
    )
  ).rows[0] as { counts: unknown; percentiles: unknown; weekly: unknown };
  const countRows = json<CountRow>(result.counts);
  const weekRows = json<{ week: string; received: number; closed: number }>(result.weekly);

  const pct = new Map<string, { median: number | null; p90: number | null }>();
  if (exact) {
    const values = new Map<string, number[][]>();
    for (const r of json<{ kind: string; grp: string; v: number[] }>(result.percentiles)) {
      const key = `${r.kind}\u0000${r.grp}`;
      values.set(key, [...(values.get(key) ?? []), r.v]);
    }
    for (const [key, parts] of values) {
      const all = Float64Array.from(parts.flat());
      all.sort();
      pct.set(key, { median: percentileCont(all, 0.5), p90: percentileCont(all, 0.9) });
    }
  } else {
    const hist = new Map<string, Map<number, number>>();
    for (const r of json<{ kind: string; grp: string; b: number[]; c: number[] }>(result.percentiles)) {
      const key = `${r.kind}\u0000${r.grp}`;
      const h = hist.get(key) ?? new Map<number, number>();
      r.b.forEach((b, i) => h.set(b, (h.get(b) ?? 0) + Number(r.c[i])));
      hist.set(key, h);
    }
    for (const [key, h] of hist) {
      const list = [...h].sort((a, b) => a[0] - b[0]).map(([b, c]) => ({ b, c }));
      pct.set(key, { median: sketchQuantile(list, 0.5), p90: sketchQuantile(list, 0.9) });
    }
  }
  const rowsOf = (kind: string) =>
    countRows
      .filter((r) => r.kind === kind)
      .map((r) => toPerformanceRow(r, pct.get(`${kind}\u0000${r.grp}`)));
  return {
    all: rowsOf('all'),
    byDistrict: rowsOf(districtKind(q.layer)),
    byChannel: rowsOf('channel'),
    weekly: weekRows.map((w) => ({ week: w.week, received: Number(w.received), closed: Number(w.closed) })),
    source: { rolledDays: days.length, exact },
  };
}

/** A json column as rows (pg parses json; a driver that does not hands the text). */
function json<T>(v: unknown): T[] {
  if (v === null || v === undefined) return [];
  return (typeof v === 'string' ? JSON.parse(v) : v) as T[];
}

/** percentile_cont over sorted values: interpolates between the order statistics around q·(n−1). */
export function percentileCont(sorted: Float64Array, q: number): number | null {
  if (sorted.length === 0) return null;
  const h = q * (sorted.length - 1);
  const lo = Math.floor(h);
  const a = sorted[lo] as number;
  return a + (h - lo) * ((sorted[Math.ceil(h)] as number) - a);
}
const round2 = (n: number | null) => (n === null ? null : Math.round(n * 100) / 100);

/** The same rounding and shares as reports/performance.ts. */
function toPerformanceRow(
  r: CountRow,
  p: { median: number | null; p90: number | null } | undefined,
): PerformanceRow {
  const withLevel = Number(r.closed_with_level);
  return {
    group: String(r.grp),
    received: Number(r.received),
    closed: Number(r.closed),
    closed_with_level: withLevel,
    closed_on_time: Number(r.closed_on_time),
    on_time_share: withLevel > 0 ? Math.round((Number(r.closed_on_time) / withLevel) * 1000) / 1000 : null,
    median_days_to_close: round2(p?.median ?? null),
    p90_days_to_close: round2(p?.p90 ?? null),
    open_backlog: Number(r.open_backlog),
    overdue: Number(r.overdue),
  };
}
