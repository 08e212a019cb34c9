/**
 * Recognising multiple reports of one problem (issue #8, Des Moines' ask). A new request is linked to an
 * open request of the same service (or a configured related one) within a radius and a time window; the
 * nearest such candidate wins. The rule is per service, else the jurisdiction's, else the defaults below.
 */
import type { Knex } from 'knex';
import type { Service } from '../catalog';
import { pointFactsBindings, pointFactsSql, readPointFacts, type LatLong, type PointFacts } from '../geo';
import { OPEN_STATUSES, PAUSE_STATUS, type DetailedStatus } from './statuses';
import { hotStatement, runHot, type HotStatement } from '../db';

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
  /** A request of a private service: it may be linked, but its id is never told to the reporter. */
  isPrivate?: boolean;
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

/**
 * The rule in force for a service (its own, else the jurisdiction's, else the defaults), or with
 * `serviceId` null the jurisdiction-wide rule (the saved one, else the defaults).
 */
export async function ruleFor(
  knex: Knex,
  jurisdictionId: string,
  serviceId: number | null,
): Promise<DuplicateRule> {
  const rows = (await knex('duplicate_rules')
    .where('jurisdiction_id', jurisdictionId)
    .where((w) =>
      serviceId === null
        ? w.whereNull('service_id')
        : w.where('service_id', serviceId).orWhereNull('service_id'),
    )
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

/** Replaces the jurisdiction's rule (serviceId null) or a service's rule (admin API). */
export async function saveRule(
  knex: Knex,
  jurisdictionId: string,
  serviceId: number | null,
  rule: DuplicateRule,
): Promise<void> {
  await knex.transaction(async (trx) => {
    const q = trx('duplicate_rules').where('jurisdiction_id', jurisdictionId);
    await (serviceId === null ? q.whereNull('service_id') : q.where('service_id', serviceId)).delete();
    await trx('duplicate_rules').insert({
      jurisdiction_id: jurisdictionId,
      service_id: serviceId,
      radius_metres: rule.radiusMetres,
      window_hours: rule.windowHours,
      statuses: rule.statuses,
      related_service_codes: rule.relatedServiceCodes,
      enabled: rule.enabled,
    });
  });
}

/**
 * The rule in force and, under it, up to 10 open candidates nearest first (`candidate_id` null when there
 * is none): at least one row. `?` placeholders, bound by `parentBindings`.
 */
const PARENT_SQL = `WITH p AS (SELECT ST_SetSRID(ST_MakePoint(?::float8, ?::float8), 4326)::geography AS g),
   found AS (
     SELECT radius_metres, window_hours, statuses, related_service_codes, enabled FROM duplicate_rules
     WHERE jurisdiction_id = ? AND (service_id = ? OR service_id IS NULL)
     ORDER BY service_id IS NULL LIMIT 1),
   rule AS (
     SELECT * FROM found
     UNION ALL
     SELECT ?::float8, ?::float8, ?::text[], '{}'::text[], ?::boolean WHERE NOT EXISTS (SELECT 1 FROM found))
   SELECT rule.radius_metres, rule.window_hours, rule.statuses, rule.related_service_codes, rule.enabled,
     c.id AS candidate_id, c.requested_at, c.detailed_status, c.distance AS candidate_distance, c.is_private
   FROM rule CROSS JOIN p
   LEFT JOIN LATERAL (
     SELECT r.id::text AS id, r.requested_at, r.detailed_status, ST_Distance(r.location, p.g) AS distance,
       (SELECT sp.is_private FROM services sp WHERE sp.id = r.service_id) AS is_private
     FROM service_requests r
     WHERE rule.enabled
       AND r.jurisdiction_id = ?
       AND (r.service_id = ? OR r.service_id IN (
         SELECT id FROM services WHERE jurisdiction_id = ? AND service_code = ANY(rule.related_service_codes)))
       AND r.status = 'open' AND r.parent_request_id IS NULL
       AND r.requested_at >= ?::timestamptz - rule.window_hours * interval '1 hour'
       AND ST_DWithin(r.location, p.g, rule.radius_metres)
     ORDER BY r.location <-> p.g
     LIMIT 10) c ON true`;

function parentBindings(jurisdictionId: string, service: Service, point: LatLong, now: Date): unknown[] {
  const d = DEFAULT_DUPLICATE_RULE;
  return [
    point.long,
    point.lat,
    jurisdictionId,
    service.id,
    d.radiusMetres,
    d.windowHours,
    d.statuses,
    d.enabled,
    jurisdictionId,
    service.id,
    jurisdictionId,
    now,
  ];
}

type ParentRow = RuleRow & {
  candidate_id: string | null;
  requested_at: Date;
  detailed_status: string;
  candidate_distance: number;
  is_private: boolean | null;
};

/** The rows of PARENT_SQL → the parent `pickParent` chooses under the rule they carry. */
function parentOf(rows: ParentRow[], now: Date): Candidate | null {
  const first = rows[0];
  if (!first) return null;
  const rule: DuplicateRule = {
    radiusMetres: Number(first.radius_metres),
    windowHours: Number(first.window_hours),
    statuses: first.statuses as DetailedStatus[],
    relatedServiceCodes: first.related_service_codes,
    enabled: first.enabled,
  };
  return pickParent(
    rows
      .filter((r) => r.candidate_id !== null)
      .map((r) => ({
        id: r.candidate_id as string,
        requestedAt: new Date(r.requested_at),
        detailedStatus: r.detailed_status,
        distanceMetres: Number(r.candidate_distance),
        isPrivate: r.is_private === true,
      })),
    rule,
    now,
  );
}

// Fixed texts, prepared once per connection and run straight on pg (issue #21).
const FIND_PARENT = hotStatement(PARENT_SQL);
const FACTS_AND_PARENT = [false, true].map((withNearest) =>
  hotStatement(`SELECT f.*, pr.* FROM (${pointFactsSql(withNearest)}) f CROSS JOIN (${PARENT_SQL}) pr`),
);

/**
 * Finds the parent for a new report in one round trip: the service's rule (else the jurisdiction's,
 * else the defaults) and, under it, the open candidates of the service and its related services within
 * the radius and window (GiST KNN, nearest first); `pickParent` then applies the rule exactly.
 */
export async function findParent(
  knex: Knex,
  jurisdictionId: string,
  service: Service,
  point: LatLong,
  now: Date,
): Promise<Candidate | null> {
  const rows = await runHot(knex, FIND_PARENT, parentBindings(jurisdictionId, service, point, now));
  return parentOf(rows as ParentRow[], now);
}

/**
 * `pointFacts` and `findParent` for one point in one round trip (issue #21: a POST with lat/long needs
 * both; one statement fewer per POST): the same SQL as each, side by side.
 */
export async function pointFactsAndParent(
  knex: Knex,
  jurisdictionId: string,
  service: Service,
  point: LatLong,
  now: Date,
  toleranceMetres: number,
  nearestWithinMetres: number | null,
): Promise<{ facts: PointFacts; parent: Candidate | null }> {
  const rows = (await runHot(knex, FACTS_AND_PARENT[nearestWithinMetres === null ? 0 : 1] as HotStatement, [
    ...pointFactsBindings(jurisdictionId, point, toleranceMetres, nearestWithinMetres),
    ...parentBindings(jurisdictionId, service, point, now),
  ])) as Array<ParentRow & Record<string, unknown>>;
  return { facts: readPointFacts(rows[0]), parent: parentOf(rows, now) };
}
