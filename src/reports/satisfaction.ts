/**
 * Satisfaction figures (issue #8): per group, surveys sent and answered, mean ratings, and the share
 * rating 3 or better against Kansas City's 85% goal, by service, agency, channel or district (Hamilton's
 * disparity question).
 */
import type { Knex } from 'knex';
import { grouped, reportBase, type GroupBy, type ReportScope } from './base';

export const SATISFACTION_GOAL = 0.85;

export interface SatisfactionRow {
  group: string;
  surveys: number;
  responses: number;
  response_rate: number | null;
  mean_service_rating: number | null;
  mean_timeliness_rating: number | null;
  share_service_3_or_better: number | null;
  share_timeliness_3_or_better: number | null;
  goal: number;
  meets_goal: boolean | null;
}

export const SATISFACTION_COLUMNS: Array<keyof SatisfactionRow> = [
  'group',
  'surveys',
  'responses',
  'response_rate',
  'mean_service_rating',
  'mean_timeliness_rating',
  'share_service_3_or_better',
  'share_timeliness_3_or_better',
  'goal',
  'meets_goal',
];

export async function satisfaction(
  knex: Knex,
  q: ReportScope & { groupBy: GroupBy },
): Promise<SatisfactionRow[]> {
  return (await satisfactionBy(knex, q, [q.groupBy]))[0] as SatisfactionRow[];
}

/**
 * The same figures for several groupings in one statement (the dashboard asks for all, by area and by
 * channel at once: one round trip instead of three).
 */
export async function satisfactionBy(
  knex: Knex,
  q: ReportScope,
  groupBys: GroupBy[],
): Promise<SatisfactionRow[][]> {
  if (groupBys.length === 0) return [];
  return satisfactionRows((await satisfactionSql(knex, q, groupBys)).rows, groupBys.length);
}

/**
 * The SQL of satisfactionBy, rows (grp_set, group, counts) ordered by grp_set and group, for a caller that
 * runs it inside a larger statement (the dashboard's summary, as a json subselect); `satisfactionRows`
 * makes the figures of its rows. At least one grouping.
 */
export function satisfactionSql(knex: Knex, q: ReportScope, groupBys: GroupBy[]): Knex.Raw {
  // Surveys sent in the period, of the requests in the report's scope.
  const one = (g: GroupBy, i: number) =>
    grouped(
      knex,
      reportBase(knex, q, {
        from: (k) => k('surveys as v').join('service_requests as r', 'r.id', 'v.request_id'),
        periodColumn: 'v.created_at',
      }).where('v.jurisdiction_id', q.jurisdictionId),
      g,
    )
      .clearOrder()
      .select(
        knex.raw('?::int AS grp_set', [i]),
        knex.raw('count(*)::int AS surveys'),
        knex.raw('count(v.answered_at)::int AS responses'),
        knex.raw('avg(v.service_rating)::float8 AS mean_service'),
        knex.raw('avg(v.timeliness_rating)::float8 AS mean_timeliness'),
        knex.raw('count(*) FILTER (WHERE v.service_rating >= 3)::int AS service_ok'),
        knex.raw('count(*) FILTER (WHERE v.timeliness_rating >= 3)::int AS timeliness_ok'),
      );
  const branches = groupBys.map(one);
  // Each branch in its own parentheses (knex wraps a builder binding), so each keeps its GROUP BY.
  return knex.raw(
    `SELECT * FROM (${branches.map(() => '?').join(' UNION ALL ')}) u ORDER BY grp_set, "group"`,
    branches,
  );
}

export function satisfactionRows(raw: unknown[], sets: number): SatisfactionRow[][] {
  const rows = raw as Array<{
    grp_set: number;
    group: string;
    surveys: number;
    responses: number;
    mean_service: number | null;
    mean_timeliness: number | null;
    service_ok: number;
    timeliness_ok: number;
  }>;
  const share = (n: number, d: number) => (d > 0 ? Math.round((n / d) * 1000) / 1000 : null);
  const mean = (v: number | null) => (v === null ? null : Math.round(Number(v) * 100) / 100);
  return Array.from({ length: sets }, (_, i) =>
    rows
      .filter((r) => Number(r.grp_set) === i)
      .map((r) => {
        const serviceShare = share(Number(r.service_ok), Number(r.responses));
        return {
          group: String(r.group),
          surveys: Number(r.surveys),
          responses: Number(r.responses),
          response_rate: share(Number(r.responses), Number(r.surveys)),
          mean_service_rating: mean(r.mean_service),
          mean_timeliness_rating: mean(r.mean_timeliness),
          share_service_3_or_better: serviceShare,
          share_timeliness_3_or_better: share(Number(r.timeliness_ok), Number(r.responses)),
          goal: SATISFACTION_GOAL,
          meets_goal: serviceShare === null ? null : serviceShare >= SATISFACTION_GOAL,
        };
      }),
  );
}
