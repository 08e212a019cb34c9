/**
 * Recognising multiple reports of one problem (issue #8, Des Moines' ask). A new request is linked to an
 * open request of the same service (or a configured related one) within a radius and a time window; the
 * nearest such candidate wins. The rule is per service, else the jurisdiction's, else the defaults below.
 */
import type { Knex } from 'knex';
import type { Service } from '../catalog';
import { geographyPoint, type LatLong } from '../geo/postgis';
import { OPEN_STATUSES, PAUSE_STATUS, type DetailedStatus } from './statuses';

export interface DuplicateRule {
  radiusMetres: number;
  windowHours: number;
  statuses: DetailedStatus[];
  relatedServiceCodes: string[];
  enabled: boolean;
}

/** About Austin's 150 ft, over a week: a pothole stays the same pothole for days. */
export const DEFAULT_DUPLICATE_RULE: DuplicateRule = {
  radiusMetres: 50,
  windowHours: 168,
  statuses: OPEN_STATUSES.filter((s) => s !== PAUSE_STATUS),
  relatedServiceCodes: [],
  enabled: true,
};

export interface Candidate {
  id: string;
  distanceMetres: number;
  requestedAt: Date;
  detailedStatus: string;
}

/**
 * The parent for a new report at `now`, or null: within the radius and the window, in an allowed
 * status, nearest first (then the oldest report, then the lowest id, so the choice is stable).
 */
export function pickParent(candidates: Candidate[], rule: DuplicateRule, now: Date): Candidate | null {
  if (!rule.enabled) return null;
  const earliest = now.getTime() - rule.windowHours * 3_600_000;
  const eligible = candidates.filter(
    (c) =>
      c.distanceMetres <= rule.radiusMetres &&
      c.requestedAt.getTime() >= earliest &&
      c.requestedAt.getTime() <= now.getTime() &&
      (rule.statuses as string[]).includes(c.detailedStatus),
  );
  eligible.sort(
    (a, b) =>
      a.distanceMetres - b.distanceMetres ||
      a.requestedAt.getTime() - b.requestedAt.getTime() ||
      Number(a.id) - Number(b.id),
  );
  return eligible[0] ?? null;
}

interface RuleRow {
  service_id: number | null;
  radius_metres: number;
  window_hours: number;
  statuses: string[];
  related_service_codes: string[];
  enabled: boolean;
}

export async function ruleFor(knex: Knex, jurisdictionId: string, serviceId: number): Promise<DuplicateRule> {
  const rows = (await knex('duplicate_rules')
    .where('jurisdiction_id', jurisdictionId)
    .where((w) => w.where('service_id', serviceId).orWhereNull('service_id'))
    .orderByRaw('service_id IS NULL')) as RuleRow[];
  const r = rows[0];
  if (!r) return DEFAULT_DUPLICATE_RULE;
  return {
    radiusMetres: Number(r.radius_metres),
    windowHours: Number(r.window_hours),
    statuses: r.statuses as DetailedStatus[],
    relatedServiceCodes: r.related_service_codes,
    enabled: r.enabled,
  };
}

/** Finds the parent for a new report (GiST KNN within the radius, then `pickParent`). */
export async function findParent(
  knex: Knex,
  jurisdictionId: string,
  service: Service,
  point: LatLong,
  now: Date,
  servicesByCode: (code: string) => Service | undefined,
): Promise<Candidate | null> {
  const rule = await ruleFor(knex, jurisdictionId, service.id);
  if (!rule.enabled) return null;
  const serviceIds = [
    service.id,
    ...rule.relatedServiceCodes
      .map((c) => servicesByCode(c)?.id)
      .filter((id): id is number => id !== undefined),
  ];
  const p = geographyPoint(knex, point);
  const rows = (await knex('service_requests')
    .where('jurisdiction_id', jurisdictionId)
    .whereIn('service_id', serviceIds)
    .where('status', 'open')
    .whereNull('parent_request_id')
    .where('requested_at', '>=', new Date(now.getTime() - rule.windowHours * 3_600_000))
    .whereRaw('ST_DWithin(location, ?, ?)', [p, rule.radiusMetres])
    .select(
      knex.raw('id::text AS id'),
      'requested_at',
      'detailed_status',
      knex.raw('ST_Distance(location, ?) AS distance', [p]),
    )
    .orderByRaw('location <-> ?', [p])
    .limit(10)) as Array<{ id: string; requested_at: Date; detailed_status: string; distance: number }>;
  return pickParent(
    rows.map((r) => ({
      id: r.id,
      requestedAt: r.requested_at,
      detailedStatus: r.detailed_status,
      distanceMetres: Number(r.distance),
    })),
    rule,
    now,
  );
}
