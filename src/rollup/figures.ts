/**
 * The dashboard's performance figures from the rollups (issue #21, target 2), agreeing with
 * reports/performance.ts: complete local days that are rolled and unchanged since come from
 * request_rollup_days (whole months of them from request_rollup_months), and so does the partial day
 * (today, rolled up to a cut-off) for the requests received before its cut-off; everything else of the period
 * (its partial first and last days, days not rolled yet, days changed since the last worker pass, days
 * whose open requests came due) is read directly from the requests, so the figures are right however far
 * behind the worker is, only slower. Counts are exact. Median and p90 of days-to-close are exact for a
 * period of up to EXACT_MAX_DAYS (from the days' stored values); beyond, they come from the summed
 * log-bucket histograms, within 1% of the exact percentile (bucket 0 holds closures within a minute,
 * read as 0 days; see sketch.ts).
 */
import type { Knex } from 'knex';
import type { PerformanceRow } from '../reports';
import { bucketOf, Histogram, packedExactSql, sketchQuantile, unpackValues } from './sketch';
import { countColumns, dayStart, districtKind, requestRows, type Range } from './keyed';
import { addDays, changedDays, fingerprintBindings, fingerprintSql, UNCOUNTED_KINDS } from './state';

export const EXACT_MAX_DAYS = 8;
const DAY_MS = 86_400_000;

export interface RolledQuery {
  jurisdictionId: string;
  timeZone: string;
  start: Date;
  end: Date;
  now: Date;
  layer: string;
  /**
   * Rows of another query of the caller's, run in the same statement (the dashboard's satisfaction
   * figures), so a summary is two round trips; returned as `also`.
   */
  also?: Knex.Raw;
  /** How many changes past the watermark are read with the state (CHANGED_INLINE; tests lower it). */
  changesInline?: number;
}

export interface RolledFigures {
  all: PerformanceRow[];
  byDistrict: PerformanceRow[];
  byChannel: PerformanceRow[];
  weekly: Array<{ week: string; received: number; closed: number }>;
  also: unknown[];
  /**
   * How the figures were made: complete rolled days used, the partial day's cut-off when its rows were
   * used (ISO), and whether the percentiles are exact.
   */
  source: { rolledDays: number; partialUntil: string | null; exact: boolean };
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

/** At most this many history rows past the watermark are read with the state; more, and a query of its own. */
const CHANGED_INLINE = 1000;

/** The partial day (rolled up to `until`, ISO) whose rows a period uses. */
interface Partial {
  day: string;
  until: string;
}

/**
 * The complete local days of [start, end) that are rolled and clean, in order, and the partial day when
 * the period holds all of it up to its cut-off and it is clean, in one round trip: the rollup's state and
 * fingerprint, the period's whole days, the days whose open requests came due, and the days of requests
 * changed since the worker's last pass (history past its watermark, read in id order from the watermark,
 * so its primary key is used whatever the planner guesses of the watermark; when more than CHANGED_INLINE
 * changes are waiting, the worker is far behind and they are read on their own). Requests received at or
 * after the partial day's cut-off are in no rolled row: their changes (their own creation included) make
 * nothing dirty, nor do changes of UNCOUNTED_KINDS (a supporter counted on a parent, a note).
 */
async function cleanDays(knex: Knex, q: RolledQuery): Promise<{ days: string[]; partial: Partial | null }> {
  const inline = q.changesInline ?? CHANGED_INLINE;
  const row = (
    await knex.raw(
      `WITH st AS (SELECT fingerprint, rolled_from, rolled_until, history_seen, partial_until FROM request_rollup_state WHERE jurisdiction_id = ?),
            p AS (SELECT ?::timestamptz AS s, ?::timestamptz AS e, ?::text AS tz),
            h AS MATERIALIZED (SELECT request_id FROM request_history
                                WHERE id > (SELECT history_seen FROM st) AND jurisdiction_id = ? AND kind <> ALL(?::text[])
                                ORDER BY id LIMIT ?)
       SELECT (SELECT fingerprint FROM st) AS stored, ${fingerprintSql} AS fp,
              (SELECT rolled_from::text FROM st) AS rolled_from, (SELECT rolled_until::text FROM st) AS rolled_until, (SELECT history_seen::text FROM st) AS seen,
              (SELECT partial_until FROM st) AS partial_until, (SELECT partial_until FROM st) <= e AS partial_in,
              (CASE WHEN (s AT TIME ZONE tz)::time = '00:00' THEN (s AT TIME ZONE tz)::date
                    ELSE (s AT TIME ZONE tz)::date + 1 END)::text AS d0,
              (e AT TIME ZONE tz)::date::text AS d1,
              ARRAY(SELECT day::text FROM request_rollup_days
                     WHERE jurisdiction_id = ? AND kind = 'all' AND (next_due <= ? OR rolled_at > ?)) AS due,
              (SELECT count(*) FROM h)::int AS changes,
              ARRAY(SELECT DISTINCT (r.requested_at AT TIME ZONE tz)::date::text
                      FROM h JOIN service_requests r ON r.id = h.request_id
                     WHERE r.requested_at < coalesce((SELECT partial_until FROM st), 'infinity')) AS changed
         FROM p`,
      [
        q.jurisdictionId,
        q.start,
        q.end,
        q.timeZone,
        q.jurisdictionId,
        UNCOUNTED_KINDS,
        inline + 1,
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
    partial_until: Date | string | null;
    partial_in: boolean | null;
    d0: string;
    d1: string;
    due: string[];
    changes: number;
    changed: string[];
  };
  if (
    row.stored === null ||
    row.rolled_from === null ||
    row.rolled_until === null ||
    row.seen === null ||
    row.stored !== row.fp
  )
    return { days: [], partial: null };
  const until = row.partial_until === null ? null : new Date(row.partial_until).toISOString();
  // The partial day is the first one not rolled whole; the period must hold it from its midnight (d0 is
  // the period's first whole day) to its cut-off.
  const partialDay =
    until !== null && row.partial_in === true && row.d0 <= row.rolled_until ? row.rolled_until : null;
  const d0 = row.d0 > row.rolled_from ? row.d0 : row.rolled_from;
  const d1 = row.d1 < row.rolled_until ? row.d1 : row.rolled_until;
  if (d0 >= d1 && partialDay === null) return { days: [], partial: null };
  const changed =
    Number(row.changes) > inline
      ? await changedDays(knex, q.jurisdictionId, q.timeZone, row.seen, until)
      : row.changed;
  const dirty = new Set([...changed, ...row.due]);
  const days: string[] = [];
  for (let d = d0; d < d1; d = addDays(d, 1)) if (!dirty.has(d)) days.push(d);
  const partial =
    partialDay !== null && until !== null && !dirty.has(partialDay) ? { day: partialDay, until } : null;
  return { days, partial };
}

/**
 * The parts of [start, end) outside the clean days and the partial day's rolled part (from its midnight
 * to its cut-off; it follows every complete rolled day), as time ranges.
 */
function directRanges(knex: Knex, q: RolledQuery, days: string[], partial: Partial | null): Range[] {
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
  if (partial) {
    ranges.push({ from, to: dayStart(knex, partial.day, q.timeZone) });
    from = knex.raw('?::timestamptz', [partial.until]);
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

/**
 * The requests of the direct ranges, aggregated once with GROUPING SETS: all, per channel, per district
 * of the layer and per local day (the weekly trend), with the counts and the exact days-to-close packed
 * as float8 (sorted or bucketed by the reader). One row per group, not one per request and group.
 */
function directGroups(knex: Knex, q: RolledQuery, ranges: Range[]): Knex.Raw {
  const base = requestRows(
    knex,
    { jurisdictionId: q.jurisdictionId, timeZone: q.timeZone, bounds: { start: q.start, end: q.end } },
    ranges,
  ).select(knex.raw("coalesce(r.districts ->> ?, '(outside any district)') AS district", [q.layer]));
  const which = (day: string, channel: string, district: string, all: string) =>
    `CASE WHEN grouping(day) = 0 THEN ${day} WHEN grouping(channel) = 0 THEN ${channel}
          WHEN grouping(district) = 0 THEN ${district} ELSE ${all} END`;
  return knex.raw(
    `SELECT ${which("'day'", "'channel'", '?', "'all'")} AS kind, ${which('day::text', 'channel', 'district', "'all'")} AS grp,
            ?, string_agg(${packedExactSql('dtc')}, ''::bytea) FILTER (WHERE dtc IS NOT NULL) AS vals
       FROM ? AS b GROUP BY GROUPING SETS ((), (channel), (district), (day))`,
    [districtKind(q.layer), countColumns(knex, q.now), base],
  );
}

/**
 * Hash aggregation for the direct rows' grouping sets: with the default work_mem (4 MB) PostgreSQL sorts
 * for all but one set and spills to disk once the direct rows pass ~30,000 (a busy partial day, a day
 * changed since the worker's pass): 100 ms of a 450 ms first request at 1M requests. The groups are few
 * (tens), so what the aggregation holds stays a few MB; the setting ends with the transaction.
 */
const FIGURES_WORK_MEM = '32MB';

export async function rolledFigures(knex: Knex, q: RolledQuery): Promise<RolledFigures> {
  return knex.transaction(async (trx) => {
    // One snapshot for the state and the rows: a partial day rolled again (a later cut-off) or completed
    // between the two statements would otherwise be read with the old cut-off and counted twice.
    await trx.raw('SET TRANSACTION ISOLATION LEVEL REPEATABLE READ');
    await trx.raw(`SET LOCAL work_mem = '${FIGURES_WORK_MEM}'`);
    return figuresIn(trx, q);
  });
}

async function figuresIn(knex: Knex, q: RolledQuery): Promise<RolledFigures> {
  const { days, partial } = await cleanDays(knex, q);
  const exact = q.end.getTime() - q.start.getTime() <= EXACT_MAX_DAYS * DAY_MS + 3_600_000;
  const split = exact ? { months: [], rest: days } : splitMonths(days);
  const months = split.months;
  // The partial day's rows are read as a day's (never in a whole month: it is not a complete day).
  const rest = partial ? [...split.rest, partial.day] : split.rest;
  const rolled = partial ? [...days, partial.day] : days;
  const kinds = ['all', 'channel', districtKind(q.layer)];
  const cols = 'kind, grp, received, closed, closed_with_level, closed_on_time, open_backlog, overdue';
  const sums = `sum(received)::int AS received, sum(closed)::int AS closed,
    sum(closed_with_level)::int AS closed_with_level, sum(closed_on_time)::int AS closed_on_time,
    sum(open_backlog)::int AS open_backlog, sum(overdue)::int AS overdue`;
  // Percentiles, packed (sketch.ts): w 0 a histogram (months and days of a long period), 4 the stored
  // exact values of a day (float4, a short period), 8 the direct rows' exact values (float8). Sorted (short)
  // or summed into one histogram per group (long) here: as JSON arrays they cost most of a summary.
  // One row per packed percentile part (bytea: the driver decodes it, no JSON of megabytes), and one
  // row holding the counts, the weekly trend and the caller's rows as JSON.
  const rows = (
    await knex.raw(
      `WITH direct AS MATERIALIZED (?),
       months AS MATERIALIZED (SELECT ${cols}, hist_bin AS bin FROM request_rollup_months
                   WHERE jurisdiction_id = ? AND month = ANY(?::date[]) AND kind = ANY(?::text[])),
       days AS MATERIALIZED (SELECT ${cols}, ${exact ? 'close_bin' : 'hist_bin'} AS bin FROM request_rollup_days
                 WHERE jurisdiction_id = ? AND day = ANY(?::date[]) AND kind = ANY(?::text[]))
       SELECT kind, grp, 0 AS w, bin, NULL::json AS counts, NULL::json AS weekly, NULL::json AS also FROM months
       UNION ALL SELECT kind, grp, ${exact ? 4 : 0}, bin, NULL, NULL, NULL FROM days WHERE length(bin) > 0
       UNION ALL SELECT kind, grp, 8, vals, NULL, NULL, NULL FROM direct WHERE kind <> 'day' AND vals IS NOT NULL
       UNION ALL SELECT NULL, NULL, -1, NULL,
         (SELECT json_agg(c ORDER BY c.kind, c.grp) FROM (
            SELECT kind, grp, ${sums} FROM (
              SELECT ${cols} FROM months UNION ALL SELECT ${cols} FROM days
              UNION ALL SELECT ${cols} FROM direct WHERE kind <> 'day') x
             GROUP BY kind, grp) c),
         (SELECT json_agg(w ORDER BY w.week) FROM (
            SELECT to_char(date_trunc('week', day::timestamp), 'YYYY-MM-DD') AS week,
                   sum(received)::int AS received, sum(closed)::int AS closed
              FROM (SELECT day, received, closed FROM request_rollup_days
                     WHERE jurisdiction_id = ? AND day = ANY(?::date[]) AND kind = 'all'
                    UNION ALL SELECT grp::date, received, closed FROM direct WHERE kind = 'day') d
             GROUP BY 1) w),
         ${q.also ? '(SELECT json_agg(e) FROM (?) e)' : 'NULL'}`,
      [
        directGroups(knex, q, directRanges(knex, q, days, partial)),
        q.jurisdictionId,
        months,
        kinds,
        q.jurisdictionId,
        rest,
        kinds,
        q.jurisdictionId,
        rolled,
        ...(q.also ? [q.also] : []),
      ],
    )
  ).rows as Array<{
    kind: string;
    grp: string;
    w: number;
    bin: Uint8Array | string | null;
    counts: unknown;
    weekly: unknown;
    also: unknown;
  }>;
  const result = rows.find((r) => Number(r.w) === -1) ?? { counts: null, weekly: null, also: null };
  const countRows = json<CountRow>(result.counts);
  const weekRows = json<{ week: string; received: number; closed: number }>(result.weekly);

  const pct = new Map<string, { median: number | null; p90: number | null }>();
  const packed = rows
    .filter((r) => Number(r.w) >= 0)
    .map((r) => ({ kind: r.kind, grp: r.grp, w: Number(r.w), bytes: bytesOf(r.bin) }));
  if (exact) {
    const parts = new Map<string, Array<{ bytes: Uint8Array; width: 4 | 8 }>>();
    for (const r of packed) {
      const key = `${r.kind}\u0000${r.grp}`;
      const list = parts.get(key) ?? [];
      list.push({ bytes: r.bytes, width: r.w === 8 ? 8 : 4 });
      parts.set(key, list);
    }
    for (const [key, list] of parts) {
      const all = unpackValues(list);
      all.sort();
      pct.set(key, { median: percentileCont(all, 0.5), p90: percentileCont(all, 0.9) });
    }
  } else {
    const hist = new Map<string, Histogram>();
    for (const r of packed) {
      const key = `${r.kind}\u0000${r.grp}`;
      const h = hist.get(key) ?? new Histogram();
      if (r.w === 8) for (const v of unpackValues([{ bytes: r.bytes, width: 8 }])) h.addOne(bucketOf(v));
      else h.add(r.bytes);
      hist.set(key, h);
    }
    for (const [key, h] of hist) {
      const list = h.buckets();
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
    also: json<unknown>(result.also),
    source: { rolledDays: days.length, partialUntil: partial?.until ?? null, exact },
  };
}

/** A bytea column: pg gives a Buffer, PGlite a Uint8Array; hex text ('\\x...') if a driver gives neither. */
function bytesOf(v: Uint8Array | string | null): Uint8Array {
  if (v === null) return new Uint8Array(0);
  if (typeof v !== 'string') return v;
  return Buffer.from(v.startsWith('\\x') ? v.slice(2) : v, 'hex');
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
