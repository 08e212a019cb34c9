/**
 * Performance figures per group over a period (issue #6, item 8): the one place that does the SLA
 * arithmetic, for the staff report and (later) the public dashboard. Kansas City's headline measure,
 * "percent of service requests completed within their established timeframe", is
 * `closed_on_time / closed_with_level`: requests received in the period and closed by their expected time,
 * over those closed that had a response level.
 */
import type { Knex } from 'knex';
import { grouped, reportBase, type GroupBy, type ReportScope } from './base';

export { groupExpression, type GroupBy } from './base';

export interface PerformanceRow {
  group: string;
  received: number;
  closed: number;
  closed_with_level: number;
  closed_on_time: number;
  on_time_share: number | null;
  median_days_to_close: number | null;
  p90_days_to_close: number | null;
  open_backlog: number;
  overdue: number;
}

export const PERFORMANCE_COLUMNS: Array<keyof PerformanceRow> = [
  'group',
  'received',
  'closed',
  'closed_with_level',
  'closed_on_time',
  'on_time_share',
  'median_days_to_close',
  'p90_days_to_close',
  'open_backlog',
  'overdue',
];

export async function performance(
  knex: Knex,
  q: ReportScope & { now: Date; groupBy: GroupBy },
): Promise<PerformanceRow[]> {
  const days = 'EXTRACT(EPOCH FROM (r.closed_at - r.requested_at)) / 86400.0';
  const query = grouped(knex, reportBase(knex, q), q.groupBy).select(
    knex.raw('count(*)::int AS received'),
    knex.raw("count(*) FILTER (WHERE r.status = 'closed')::int AS closed"),
    knex.raw(
      "count(*) FILTER (WHERE r.status = 'closed' AND r.expected_at IS NOT NULL)::int AS closed_with_level",
    ),
    knex.raw(
      "count(*) FILTER (WHERE r.status = 'closed' AND r.expected_at IS NOT NULL AND r.closed_at <= r.expected_at)::int AS closed_on_time",
    ),
    knex.raw(
      `percentile_cont(0.5) WITHIN GROUP (ORDER BY ${days}) FILTER (WHERE r.status = 'closed')::float8 AS median_days_to_close`,
    ),
    knex.raw(
      `percentile_cont(0.9) WITHIN GROUP (ORDER BY ${days}) FILTER (WHERE r.status = 'closed')::float8 AS p90_days_to_close`,
    ),
    knex.raw("count(*) FILTER (WHERE r.status = 'open')::int AS open_backlog"),
    knex.raw(
      "count(*) FILTER (WHERE r.status = 'open' AND (r.overdue OR r.expected_at < ?))::int AS overdue",
      [q.now],
    ),
  );
  const rows = (await query) as Array<Omit<PerformanceRow, 'on_time_share'>>;
  const round = (n: number | null) => (n === null ? null : Math.round(n * 100) / 100);
  return rows.map((r) => ({
    group: String(r.group),
    received: Number(r.received),
    closed: Number(r.closed),
    closed_with_level: Number(r.closed_with_level),
    closed_on_time: Number(r.closed_on_time),
    on_time_share:
      Number(r.closed_with_level) > 0
        ? Math.round((Number(r.closed_on_time) / Number(r.closed_with_level)) * 1000) / 1000
        : null,
    median_days_to_close: round(r.median_days_to_close === null ? null : Number(r.median_days_to_close)),
    p90_days_to_close: round(r.p90_days_to_close === null ? null : Number(r.p90_days_to_close)),
    open_backlog: Number(r.open_backlog),
    overdue: Number(r.overdue),
  }));
}
