import type { Knex } from 'knex';
import { recordChange, type Actor } from './record';
import { describeLevel, LEVEL_NOTICE_PREFIX } from './response-level';
import type { DetailedStatus } from './statuses';
import {
  dueDateOrNull,
  LEVEL_COLUMNS,
  LEVEL_JOIN,
  LEVEL_VALUE,
  readCalendar,
  type ResponseLevel,
} from '../sla';

/**
 * Recomputes a request's expected_datetime from its current response level (per priority when the
 * service has one, else the service's), its business calendar and its pauses; and asks the escalation
 * sweep to look at it again. Called after a priority or service change, a resume, or a reopen.
 * A service_notice that states the response level ("Response level: … (expected by …)") is rewritten
 * with the level and time now in force, so the two public fields never disagree; any other notice (a
 * duplicate's "already reported as …") is the reporter's and stays. A level the calendar does not reach
 * within 20 years gives no expected time (and no escalation), as no level does.
 */
export async function recomputeResponseLevel(
  trx: Knex.Transaction,
  requestId: string,
  at: Date,
  outcome: { unreachable?: boolean } = {},
): Promise<Date | null> {
  const r = (
    await trx.raw(
      `SELECT r.jurisdiction_id, r.requested_at, r.status, r.service_notice, j.time_zone, ${LEVEL_COLUMNS}
       FROM service_requests r JOIN services s ON s.id = r.service_id
       JOIN jurisdictions j ON j.id = r.jurisdiction_id ${LEVEL_JOIN}
       WHERE r.id = ?`,
      [requestId],
    )
  ).rows[0] as
    | {
        jurisdiction_id: string;
        requested_at: Date;
        status: string;
        service_notice: string | null;
        time_zone: string;
        level_value: number | null;
        level_unit: ResponseLevel['unit'] | null;
      }
    | undefined;
  if (!r) return null;
  let expected: Date | null = null;
  const level =
    r.level_value !== null && r.level_unit !== null
      ? { value: Number(r.level_value), unit: r.level_unit }
      : null;
  if (level) {
    const cal = await readCalendar(trx, r.jurisdiction_id, r.time_zone);
    const pauses = (
      (await trx('request_sla_pauses').where('request_id', requestId).orderBy('paused_from')) as Array<{
        paused_from: Date;
        paused_to: Date | null;
      }>
    ).map((p) => ({ from: p.paused_from, to: p.paused_to ?? at }));
    expected = dueDateOrNull(r.requested_at, level, cal, pauses, at);
    outcome.unreachable = expected === null; // the calendar does not reach the level's end
  }
  const levelNotice = r.service_notice === null || r.service_notice.startsWith(LEVEL_NOTICE_PREFIX);
  await trx('service_requests')
    .where('id', requestId)
    .update({
      expected_at: expected,
      next_escalation_at: r.status === 'open' && expected ? at : null,
      ...(levelNotice ? { service_notice: describeLevel(level, expected, r.time_zone) } : {}),
    });
  return expected;
}

const iso = (d: Date | null): string | null => (d ? d.toISOString() : null);

/**
 * Recomputes expected_datetime of the service's open requests, `batchSize` at a time, each batch its own
 * short transaction (row locks are held briefly, so staff edits are not blocked by a large service).
 * Running it again is harmless. Returns how many requests' expected_datetime changed.
 */
export async function recomputeOpenRequests(
  knex: Knex,
  serviceId: number,
  now: Date,
  actor: Actor,
  batchSize = 500,
): Promise<number> {
  let after = '0';
  let changed = 0;
  for (;;) {
    const seen = await knex.transaction(async (trx) => {
      const rows = (await trx('service_requests')
        .where({ service_id: serviceId, status: 'open' })
        .where('id', '>', after)
        .orderBy('id')
        .limit(batchSize)
        .forUpdate()
        .select(trx.raw('id::text AS id'), 'jurisdiction_id', 'detailed_status', 'expected_at')) as Array<{
        id: string;
        jurisdiction_id: string;
        detailed_status: DetailedStatus;
        expected_at: Date | null;
      }>;
      for (const r of rows) {
        const outcome: { unreachable?: boolean } = {};
        const expected = await recomputeResponseLevel(trx, r.id, now, outcome);
        if (iso(expected) === iso(r.expected_at)) continue;
        changed += 1;
        await recordChange(trx, r, now, actor, {
          kind: 'sla',
          public: false,
          detailedStatus: r.detailed_status,
          summary: expected
            ? `Response level changed: expected by ${expected.toISOString()}`
            : outcome.unreachable
              ? 'Response level not reached on the business calendar within 20 years: no expected time'
              : 'Response level removed: no expected time',
          data: { from_expected_at: iso(r.expected_at), expected_at: iso(expected) },
        });
      }
      return rows;
    });
    if (seen.length < batchSize) return changed;
    after = seen[seen.length - 1]?.id as string;
  }
}

/**
 * The escalation sweep's outcome on its requests, in one statement: when to look next, overdue (sticky)
 * and a raised priority.
 */
export async function applyEscalations(
  trx: Knex.Transaction,
  updates: Array<{ id: string; next: Date | null; overdue: boolean; priority: string | null }>,
): Promise<void> {
  if (updates.length === 0) return;
  await trx.raw(
    `UPDATE service_requests r SET next_escalation_at = u.next, overdue = r.overdue OR u.overdue,
       priority = coalesce(u.priority, r.priority)
     FROM jsonb_to_recordset(?::jsonb) AS u(id bigint, next timestamptz, overdue boolean, priority text)
     WHERE r.id = u.id`,
    [JSON.stringify(updates)],
  );
}

/**
 * Asks the sweep to look again at every open, unpaused request with a response level that a rule of
 * these scopes can apply to. A superset (a jurisdiction-wide rule reschedules the whole jurisdiction,
 * although services with their own ladder ignore it) is harmless: the sweep recomputes and fires nothing
 * that is not due.
 */
export async function rescheduleEscalations(
  trx: Knex.Transaction,
  jurisdictionId: string,
  scopes: Array<{ serviceId: number | null; agencyId: number | null }>,
  now: Date,
): Promise<void> {
  const bindings: unknown[] = [now, jurisdictionId, now];
  let scopeSql = 'TRUE';
  if (!scopes.some((s) => s.serviceId === null && s.agencyId === null)) {
    const serviceIds = scopes.flatMap((s) => (s.serviceId === null ? [] : [s.serviceId]));
    const agencyIds = scopes.flatMap((s) => (s.agencyId === null ? [] : [s.agencyId]));
    const inList = (column: string, ids: number[]) => {
      bindings.push(...ids);
      return ids.length > 0 ? `${column} IN (${ids.map(() => '?').join(', ')})` : 'FALSE';
    };
    scopeSql = `(${inList('r.service_id', serviceIds)} OR ${inList('r.agency_id', agencyIds)})`;
  }
  await trx.raw(
    `UPDATE service_requests AS r SET next_escalation_at = ?
      WHERE r.jurisdiction_id = ? AND r.status = 'open' AND r.paused_at IS NULL
        AND (r.next_escalation_at IS NULL OR r.next_escalation_at > ?)
        AND ${scopeSql}
        AND EXISTS (SELECT 1 FROM services s ${LEVEL_JOIN} WHERE s.id = r.service_id AND ${LEVEL_VALUE} IS NOT NULL)`,
    bindings as Knex.RawBinding[],
  );
}
