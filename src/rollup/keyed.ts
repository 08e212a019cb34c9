/**
 * The rows both the rollup and the dashboard's direct part read: public requests of one jurisdiction
 * received in some time ranges (the report module's base query, so they count the same requests), each
 * with its local day and days-to-close, and repeated once per group it counts in.
 */
import type { Knex } from 'knex';
import { reportBase } from '../reports';

/** A group kind: all, channel, service, or a district layer as `district:<layer>`. */
export type Kind = string;
export const districtKind = (layer: string): Kind => `district:${layer}`;

export interface Range {
  /** SQL (a Knex.Raw) of a timestamptz, inclusive. */
  from: Knex.Raw;
  /** SQL of a timestamptz, exclusive. */
  to: Knex.Raw;
}

/** The timestamptz of local midnight starting `day` ('YYYY-MM-DD') in `timeZone`. */
export function dayStart(knex: Knex, day: string, timeZone: string): Knex.Raw {
  return knex.raw('(?::date::timestamp AT TIME ZONE ?)', [day, timeZone]);
}

/**
 * The public requests of one jurisdiction received between `bounds` (one index range) and, when given,
 * inside `ranges`: day (local date), status, overdue, expected_at, closed_at, channel, dtc (days to close
 * of a closed request, double precision). Callers select more columns on it.
 */
export function requestRows(
  knex: Knex,
  q: { jurisdictionId: string; timeZone: string; bounds: { start: Date | Knex.Raw; end: Date | Knex.Raw } },
  ranges: Range[] | null,
): Knex.QueryBuilder {
  const base = reportBase(knex, {
    jurisdictionId: q.jurisdictionId,
    start: q.bounds.start as Date,
    end: q.bounds.end as Date,
  }).select(
    knex.raw('(r.requested_at AT TIME ZONE ?)::date AS day', [q.timeZone]),
    'r.status',
    'r.overdue',
    'r.expected_at',
    'r.closed_at',
    'r.channel',
    knex.raw(
      "CASE WHEN r.status = 'closed' THEN EXTRACT(EPOCH FROM (r.closed_at - r.requested_at)) / 86400.0 END::float8 AS dtc",
    ),
  );
  if (ranges && ranges.length > 0)
    base.whereRaw(
      `(${ranges.map(() => '(r.requested_at >= ? AND r.requested_at < ?)').join(' OR ')})`,
      ranges.flatMap((r) => [r.from, r.to]),
    );
  return base;
}

/**
 * `SELECT ... FROM keyed`-ready SQL: day (date), status, overdue, expected_at, closed_at, dtc, kind, grp:
 * each of `requestRows` repeated once per group it counts in.
 */
export function keyedRows(
  knex: Knex,
  q: { jurisdictionId: string; timeZone: string; bounds: { start: Date | Knex.Raw; end: Date | Knex.Raw } },
  ranges: Range[] | null,
  kinds: { channel: boolean; service: boolean; layers: string[] },
): Knex.Raw {
  const base = requestRows(knex, q, ranges).select('r.service_id', 'r.districts');
  const values = [
    "('all', 'all')",
    ...(kinds.channel ? ["('channel', b.channel)"] : []),
    ...(kinds.service ? ["('service', b.service_id::text)"] : []),
    ...kinds.layers.map(() => "(?, coalesce(b.districts ->> ?, '(outside any district)'))"),
  ];
  return knex.raw(
    `SELECT b.day, b.status, b.overdue, b.expected_at, b.closed_at, b.dtc, k.kind, k.grp
       FROM ? AS b CROSS JOIN LATERAL (VALUES ${values.join(', ')}) AS k(kind, grp)`,
    [base, ...kinds.layers.flatMap((l) => [districtKind(l), l])],
  );
}

/** Summable counts of keyed rows (`now` decides what is overdue), as SQL select items. */
export function countColumns(knex: Knex, now: Date): Knex.Raw {
  return knex.raw(
    `count(*)::int AS received,
     count(*) FILTER (WHERE status = 'closed')::int AS closed,
     count(*) FILTER (WHERE status = 'closed' AND expected_at IS NOT NULL)::int AS closed_with_level,
     count(*) FILTER (WHERE status = 'closed' AND expected_at IS NOT NULL AND closed_at <= expected_at)::int AS closed_on_time,
     count(*) FILTER (WHERE status = 'open')::int AS open_backlog,
     count(*) FILTER (WHERE status = 'open' AND (overdue OR expected_at < ?))::int AS overdue`,
    [now],
  );
}
