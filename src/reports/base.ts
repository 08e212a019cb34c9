/**
 * The one base query of every report (performance, satisfaction, the dashboard's weekly trend and
 * points): requests of one jurisdiction joined to their service and agency, without private services
 * unless asked, within a period, optionally narrowed to a service, agency, channel or district. The
 * reports add only their own aggregates and grouping to it, so they can never count different requests.
 */
import type { Knex } from 'knex';

export type GroupBy =
  { kind: 'service' | 'agency' | 'channel' | 'all' } | { kind: 'district'; layer: string };

export interface ReportScope {
  jurisdictionId: string;
  start: Date;
  end: Date;
  /** Staff reports may count requests of private services; public figures never do. */
  includePrivate?: boolean;
  serviceIds?: number[];
  agencyId?: number | string;
  channel?: string;
  district?: { layer: string; name: string };
}

/**
 * `service_requests as r` joined to `services as s` and `agencies as a`, filtered by the scope. The period
 * applies to `periodColumn`: when requests were received (the default), or another table's time, such as
 * when surveys were sent (the caller joins that table to r first, through `from`).
 */
export function reportBase(
  knex: Knex,
  scope: ReportScope,
  opts: { from?: (knex: Knex) => Knex.QueryBuilder; periodColumn?: string } = {},
): Knex.QueryBuilder {
  const q = opts.from ? opts.from(knex) : knex('service_requests as r');
  const period = opts.periodColumn ?? 'r.requested_at';
  q.join('services as s', 's.id', 'r.service_id')
    .leftJoin('agencies as a', 'a.id', 'r.agency_id')
    .where('r.jurisdiction_id', scope.jurisdictionId)
    .where(period, '>=', scope.start)
    .where(period, '<', scope.end);
  if (!scope.includePrivate) q.where('s.is_private', false);
  if (scope.serviceIds) q.whereIn('r.service_id', scope.serviceIds);
  if (scope.agencyId !== undefined) q.where('r.agency_id', scope.agencyId);
  if (scope.channel) q.where('r.channel', scope.channel);
  if (scope.district)
    q.whereRaw('r.districts @> ?::jsonb', [JSON.stringify({ [scope.district.layer]: scope.district.name })]);
  return q;
}

/** The SQL of a report's group column. */
export function groupExpression(knex: Knex, g: GroupBy): Knex.Raw {
  switch (g.kind) {
    case 'service':
      return knex.raw("s.service_code || ' ' || s.service_name");
    case 'agency':
      return knex.raw("coalesce(a.name, '(no agency)')");
    case 'channel':
      return knex.raw('r.channel');
    case 'district':
      return knex.raw("coalesce(r.districts ->> ?, '(outside any district)')", [g.layer]);
    default:
      return knex.raw("'all'");
  }
}

/** A base query grouped by `groupBy`, its group as the first column, ordered by it. */
export function grouped(knex: Knex, base: Knex.QueryBuilder, groupBy: GroupBy): Knex.QueryBuilder {
  return base
    .select(knex.raw('? AS "group"', [groupExpression(knex, groupBy)]))
    .groupByRaw('1')
    .orderByRaw('1');
}
