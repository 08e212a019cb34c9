/** What the rollup of one jurisdiction holds and was made with (request_rollup_state). */
import type { Knex } from 'knex';

export interface RollupState {
  fingerprint: string;
  /** 'YYYY-MM-DD': days in [rolledFrom, rolledUntil) are rolled. */
  rolledFrom: string;
  rolledUntil: string;
  historySeen: string;
  historyConfirmed: string;
  /**
   * The day `rolledUntil` rolled before it ends: its rows cover the requests received before this instant
   * (ISO text); null when it is not rolled.
   */
  partialUntil: string | null;
}

export async function loadState(knex: Knex, jurisdictionId: string): Promise<RollupState | null> {
  const row = (await knex('request_rollup_state')
    .where('jurisdiction_id', jurisdictionId)
    .first(
      'fingerprint',
      knex.raw('rolled_from::text AS rolled_from'),
      knex.raw('rolled_until::text AS rolled_until'),
      knex.raw('history_seen::text AS history_seen'),
      knex.raw('history_confirmed::text AS history_confirmed'),
      'partial_until',
    )) as
    | {
        fingerprint: string;
        rolled_from: string;
        rolled_until: string;
        history_seen: string;
        history_confirmed: string;
        partial_until: Date | string | null;
      }
    | undefined;
  return row
    ? {
        fingerprint: row.fingerprint,
        rolledFrom: row.rolled_from,
        rolledUntil: row.rolled_until,
        historySeen: row.history_seen,
        historyConfirmed: row.history_confirmed,
        partialUntil: row.partial_until === null ? null : new Date(row.partial_until).toISOString(),
      }
    : null;
}

/**
 * What the rows depend on beyond the requests' own history: the time zone (days), which services are
 * private (public figures leave them out) and the districts (layers and names), plus the bucket scheme.
 * A change of any of them rebuilds the rollup, and until then the dashboard computes directly.
 */
export async function fingerprint(knex: Knex, jurisdictionId: string, timeZone: string): Promise<string> {
  const row = (
    await knex.raw(`SELECT ${fingerprintSql} AS fp`, fingerprintBindings(jurisdictionId, timeZone))
  ).rows[0] as { fp: string };
  return row.fp;
}

export const fingerprintSql = `md5(? || '|' ||
  coalesce((SELECT string_agg(id::text, ',' ORDER BY id) FROM services WHERE jurisdiction_id = ? AND is_private), '') || '|' ||
  coalesce((SELECT string_agg(id::text || ':' || layer, ',' ORDER BY id) FROM districts WHERE jurisdiction_id = ?), ''))`;

export const fingerprintBindings = (jurisdictionId: string, timeZone: string) => [
  `v1|${timeZone}`,
  jurisdictionId,
  jurisdictionId,
];

/**
 * History kinds that change nothing the figures read (status, closed_at, expected_at, overdue, service,
 * channel, districts, received time): a supporter counted on a parent (every linked report on a storm
 * day), a note, an assignment. They do not make a day dirty; every other kind does.
 */
export const UNCOUNTED_KINDS = ['supporter', 'note', 'assignment'];

/**
 * Local days (YYYY-MM-DD) of requests changed since history id `after` (every change writes history;
 * UNCOUNTED_KINDS left out),
 * leaving out requests received at or after `before` (the partial day's cut-off: later requests are not in
 * any rolled row, and a new request's own history must not make the partial day dirty).
 */
export async function changedDays(
  knex: Knex,
  jurisdictionId: string,
  timeZone: string,
  after: string,
  before: string | null = null,
): Promise<string[]> {
  const rows = (
    await knex.raw(
      `SELECT DISTINCT (r.requested_at AT TIME ZONE ?)::date::text AS day
         FROM request_history h JOIN service_requests r ON r.id = h.request_id
        WHERE h.id > ? AND h.jurisdiction_id = ? AND h.kind <> ALL(?::text[])
          AND (?::timestamptz IS NULL OR r.requested_at < ?::timestamptz)`,
      [timeZone, after, jurisdictionId, UNCOUNTED_KINDS, before, before],
    )
  ).rows as Array<{ day: string }>;
  return rows.map((r) => r.day);
}

/** Rolled days whose overdue count no longer holds at `now` (an open request came due, or rolled later). */
export async function dueDays(knex: Knex, jurisdictionId: string, now: Date): Promise<string[]> {
  const rows = (await knex('request_rollup_days')
    .where({ jurisdiction_id: jurisdictionId, kind: 'all' })
    .where((w) => w.where('next_due', '<=', now).orWhere('rolled_at', '>', now))
    .select(knex.raw('day::text AS day'))) as Array<{ day: string }>;
  return rows.map((r) => r.day);
}

export async function maxHistoryId(knex: Knex): Promise<string> {
  const row = (await knex.raw('SELECT coalesce(max(id), 0)::text AS id FROM request_history')).rows[0] as {
    id: string;
  };
  return row.id;
}

/** Day arithmetic on 'YYYY-MM-DD' (calendar days, no time zone involved). */
export function addDays(day: string, n: number): string {
  const d = new Date(`${day}T00:00:00Z`);
  d.setUTCDate(d.getUTCDate() + n);
  return d.toISOString().slice(0, 10);
}

/** Sorted distinct days grouped into runs of consecutive days: [from, to) pairs. */
export function runsOf(days: string[]): Array<[string, string]> {
  const sorted = [...new Set(days)].sort();
  const runs: Array<[string, string]> = [];
  for (const d of sorted) {
    const last = runs[runs.length - 1];
    if (last && last[1] === d) last[1] = addDays(d, 1);
    else runs.push([d, addDays(d, 1)]);
  }
  return runs;
}
