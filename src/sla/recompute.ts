import type { Knex } from 'knex';
import { readCalendar } from './calendar-store';
import { computeDueDate, type ResponseLevel } from './index';

/**
 * Recomputes a request's expected_datetime from its current response level (per priority when the
 * service has one, else the service's), its business calendar and its pauses; and asks the escalation
 * sweep to look at it again. Called after a priority or service change, a resume, or a reopen.
 */
export async function recomputeResponseLevel(
  trx: Knex.Transaction,
  requestId: string,
  at: Date,
): Promise<Date | null> {
  const r = (await trx('service_requests as r')
    .join('services as s', 's.id', 'r.service_id')
    .join('jurisdictions as j', 'j.id', 'r.jurisdiction_id')
    .leftJoin('service_response_levels as l', (on) =>
      on.on('l.service_id', 'r.service_id').andOn('l.priority', 'r.priority'),
    )
    .where('r.id', requestId)
    .first(
      'r.jurisdiction_id',
      'r.requested_at',
      'r.status',
      'j.time_zone',
      trx.raw('coalesce(l.value, s.sla_value) AS value'),
      trx.raw('coalesce(l.unit, s.sla_unit) AS unit'),
    )) as
    | {
        jurisdiction_id: string;
        requested_at: Date;
        status: string;
        time_zone: string;
        value: number | null;
        unit: ResponseLevel['unit'] | null;
      }
    | undefined;
  if (!r) return null;
  let expected: Date | null = null;
  if (r.value !== null && r.unit !== null) {
    // Read inside the transaction, uncached: a recomputation is one request after a staff edit (or a batch
    // after an admin change), and it must see the calendar as this transaction does.
    const cal = await readCalendar(trx, r.jurisdiction_id, r.time_zone);
    const pauses = (
      (await trx('request_sla_pauses').where('request_id', requestId).orderBy('paused_from')) as Array<{
        paused_from: Date;
        paused_to: Date | null;
      }>
    ).map((p) => ({ from: p.paused_from, to: p.paused_to ?? at }));
    expected = computeDueDate(r.requested_at, { value: Number(r.value), unit: r.unit }, cal, pauses);
  }
  await trx('service_requests')
    .where('id', requestId)
    .update({ expected_at: expected, next_escalation_at: r.status === 'open' && expected ? at : null });
  return expected;
}
