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
import { addDays, changedDays, dueDays, fingerprint, loadState } from './state';

export const EXACT_MAX_DAYS = 31;
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

/** The complete local days of [start, end) that are rolled and clean, in order. */
async function cleanDays(knex: Knex, q: RolledQuery): Promise<string[]> {
  const state = await loadState(knex, q.jurisdictionId);
  if (!state || state.fingerprint !== (await fingerprint(knex, q.jurisdictionId, q.timeZone))) return [];
  const b = (
    await knex.raw(
      `SELECT (CASE WHEN (s AT TIME ZONE tz)::time = '00:00' THEN (s AT TIME ZONE tz)::date
                    ELSE (s AT TIME ZONE tz)::date + 1 END)::text AS d0,
              (e AT TIME ZONE tz)::date::text AS d1
         FROM (SELECT ?::timestamptz AS s, ?::timestamptz AS e, ?::text AS tz) p`,
      [q.start, q.end, q.timeZone],
    )
  ).rows[0] as { d0: string; d1: string };
  const d1 = b.d1 < state.rolledUntil ? b.d1 : state.rolledUntil;
  if (b.d0 >= d1) return [];
  const dirty = new Set([
    ...(await changedDays(knex, q.jurisdictionId, q.timeZone, state.historySeen)),
    ...(await dueDays(knex, q.jurisdictionId, q.now)),
  ]);
  const days: string[] = [];
  for (let d = b.d0; d < d1; d = addDays(d, 1)) if (!dirty.has(d)) days.push(d);
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
  const countCols = 'kind, grp, received, closed, closed_with_level, closed_on_time, open_backlog, overdue';
  const counts = knex.raw(
    `WITH direct AS MATERIALIZED (?)
     SELECT kind, grp, ${sums} FROM (
       SELECT ${countCols} FROM request_rollup_months
        WHERE jurisdiction_id = ? AND month = ANY(?::date[]) AND kind = ANY(?::text[])
       UNION ALL
       SELECT ${countCols} FROM request_rollup_days
        WHERE jurisdiction_id = ? AND day = ANY(?::date[]) AND kind = ANY(?::text[])
       UNION ALL
       SELECT kind, grp, ? FROM direct GROUP BY kind, grp) x
     GROUP BY kind, grp ORDER BY kind, grp`,
    [direct, q.jurisdictionId, months, kinds, q.jurisdictionId, rest, kinds, countColumns(knex, q.now)],
  );
  const percentiles = exact
    ? knex.raw(
        `WITH direct AS MATERIALIZED (?)
         SELECT kind, grp, percentile_cont(0.5) WITHIN GROUP (ORDER BY v)::float8 AS median,
                percentile_cont(0.9) WITHIN GROUP (ORDER BY v)::float8 AS p90
           FROM (SELECT kind, grp, unnest(close_days)::float8 AS v FROM request_rollup_days
                  WHERE jurisdiction_id = ? AND day = ANY(?::date[]) AND kind = ANY(?::text[])
                 UNION ALL SELECT kind, grp, dtc FROM direct WHERE dtc IS NOT NULL) x
          GROUP BY kind, grp`,
        [direct, q.jurisdictionId, rest, kinds],
      )
    : knex.raw(
        `WITH direct AS MATERIALIZED (?)
         SELECT kind, grp, b, sum(c)::int AS c FROM (
           SELECT m.kind, m.grp, u.b, u.c FROM request_rollup_months m
             CROSS JOIN LATERAL unnest(m.hist_b, m.hist_c) AS u(b, c)
            WHERE m.jurisdiction_id = ? AND m.month = ANY(?::date[]) AND m.kind = ANY(?::text[])
           UNION ALL
           SELECT d.kind, d.grp, u.b, u.c FROM request_rollup_days d
             CROSS JOIN LATERAL unnest(d.hist_b, d.hist_c) AS u(b, c)
            WHERE d.jurisdiction_id = ? AND d.day = ANY(?::date[]) AND d.kind = ANY(?::text[])
           UNION ALL
           SELECT kind, grp, ${bucketSql('dtc')}, count(*)::int FROM direct WHERE dtc IS NOT NULL GROUP BY 1, 2, 3) x
         GROUP BY kind, grp, b ORDER BY kind, grp, b`,
        [direct, q.jurisdictionId, months, kinds, q.jurisdictionId, rest, kinds],
      );
  const directAll = keyedRows(
    knex,
    { jurisdictionId: q.jurisdictionId, timeZone: q.timeZone, bounds: { start: q.start, end: q.end } },
    directRanges(knex, q, days),
    { channel: false, service: false, layers: [] },
  );
  const weekly = knex.raw(
    `SELECT to_char(date_trunc('week', day::timestamp), 'YYYY-MM-DD') AS week,
            sum(received)::int AS received, sum(closed)::int AS closed
       FROM (SELECT day, received, closed FROM request_rollup_days
              WHERE jurisdiction_id = ? AND day = ANY(?::date[]) AND kind = 'all'
             UNION ALL
             SELECT day, count(*)::int, count(*) FILTER (WHERE status = 'closed')::int FROM (?) d GROUP BY day) x
      GROUP BY 1 ORDER BY 1`,
    [q.jurisdictionId, days, directAll],
  );
  // One after another: a summary holds one connection at a time, so new periods at once queue, not pile up.
  const countRows = (await counts).rows as CountRow[];
  const pctRows = (await percentiles).rows as Array<Record<string, unknown>>;
  const weekRows = (await weekly).rows as Array<{ week: string; received: number; closed: number }>;

  const pct = new Map<string, { median: number | null; p90: number | null }>();
  if (exact) {
    for (const r of pctRows) pct.set(`${r.kind}\u0000${r.grp}`, { median: num(r.median), p90: num(r.p90) });
  } else {
    const hist = new Map<string, Array<{ b: number; c: number }>>();
    for (const r of pctRows) {
      const key = `${r.kind}\u0000${r.grp}`;
      const list = hist.get(key) ?? [];
      list.push({ b: Number(r.b), c: Number(r.c) });
      hist.set(key, list);
    }
    for (const [key, list] of hist)
      pct.set(key, { median: sketchQuantile(list, 0.5), p90: sketchQuantile(list, 0.9) });
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

const num = (v: unknown): number | null => (v === null || v === undefined ? null : Number(v));
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
