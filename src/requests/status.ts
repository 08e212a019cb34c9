/**
 * A request's status, the rule for moving it, and what moving it sets off: closing stops the escalation
 * clock and tells the duplicates, `waiting_on_resident` pauses the response level, reopening restarts it.
 * Callers lock the request first (`lockRequest`) and record the change with `recordChange`.
 */
import type { Knex } from 'knex';
import { badRequest, notFound } from '../core';
import type { Priority } from '../sla';
import { createSurvey } from '../surveys';
import { recordChanges, type Actor } from './record';
import { recomputeResponseLevel } from './recompute';
import { PAUSE_STATUS, statusOf, type DetailedStatus } from './statuses';

export interface LockedRequest {
  id: string;
  jurisdiction_id: string;
  detailed_status: DetailedStatus;
  status: 'open' | 'closed';
  agency_id: number | null;
  priority: Priority;
  parent_request_id: string | null;
}

export async function lockRequest(
  trx: Knex.Transaction,
  jurisdictionId: string,
  id: string,
): Promise<LockedRequest> {
  if (!/^\d{1,18}$/.test(id)) throw notFound(`service_request_id "${id}" was not found.`);
  const row = (await trx('service_requests')
    .where({ id, jurisdiction_id: jurisdictionId })
    .forUpdate()
    .first(
      trx.raw('id::text AS id'),
      'jurisdiction_id',
      'detailed_status',
      'status',
      'agency_id',
      'priority',
      trx.raw('parent_request_id::text AS parent_request_id'),
    )) as LockedRequest | undefined;
  if (!row) throw notFound(`service_request_id "${id}" was not found.`);
  return row;
}

/** Moves updated_at for a public change; never backwards (a late-arriving update keeps the newest time). */
export async function touchPublic(trx: Knex.Transaction, ids: string | string[], at: Date): Promise<void> {
  await trx('service_requests')
    .whereIn('id', Array.isArray(ids) ? ids : [ids])
    .update({ updated_at: trx.raw('GREATEST(updated_at, ?::timestamptz)', [at]) });
}

/**
 * The transition rule: a closed request only moves by being reopened (to an open status). Closing an
 * already-closed request again, or moving a duplicate to another closed state, is refused with a reason.
 */
export function checkTransition(from: DetailedStatus, to: DetailedStatus): void {
  if (from === to) throw badRequest(`The request is already "${to}".`);
  if (statusOf(from) === 'closed' && statusOf(to) === 'closed') {
    throw badRequest(
      `The request is closed as "${from}"; reopen it (detailed_status=reopen) before changing it to "${to}".`,
    );
  }
}

/**
 * Sets the status columns of a locked request. Closing stops the escalation clock; entering
 * `waiting_on_resident` pauses the response level and leaving it resumes it (the due time moves by the
 * pause); reopening restarts the clock from the original request time.
 */
export async function applyStatus(
  trx: Knex.Transaction,
  r: LockedRequest,
  to: DetailedStatus,
  statusNotes: string | null,
  at: Date,
  actor: Actor,
): Promise<void> {
  checkTransition(r.detailed_status, to);
  const closing = statusOf(to) === 'closed';
  await trx('service_requests')
    .where('id', r.id)
    .update({
      detailed_status: to,
      status_notes: statusNotes,
      closed_at: closing ? at : null,
      paused_at: to === PAUSE_STATUS ? at : null,
      ...(closing || to === PAUSE_STATUS ? { next_escalation_at: null } : {}),
    });
  if (to === PAUSE_STATUS) {
    await trx('request_sla_pauses').insert({ request_id: r.id, paused_from: at });
  } else if (r.detailed_status === PAUSE_STATUS) {
    await trx('request_sla_pauses')
      .where({ request_id: r.id })
      .whereNull('paused_to')
      .update({ paused_to: at });
  }
  if (!closing && (r.detailed_status === PAUSE_STATUS || r.status === 'closed'))
    await recomputeResponseLevel(trx, r.id, at);
  if (closing && to !== 'duplicate') {
    // Closing a parent tells its duplicates; everyone who reported the problem is asked how it went.
    const duplicates = await tellDuplicates(trx, r, to, statusNotes, actor, at);
    if (to !== 'cancelled')
      for (const id of [r.id, ...duplicates]) await createSurvey(trx, id, r.jurisdiction_id, at);
  }
}

/** When a parent closes, each duplicate gets a public note with the outcome (they are closed already). */
async function tellDuplicates(
  trx: Knex.Transaction,
  parent: { id: string; jurisdiction_id: string },
  outcome: string,
  notes: string | null,
  actor: Actor,
  at: Date,
): Promise<string[]> {
  const text = `The original report ${parent.id} was closed as "${outcome}"${notes ? `: ${notes}` : '.'}`;
  const children = (
    (await trx('service_requests')
      .where('parent_request_id', parent.id)
      .update({ status_notes: text })
      .returning(trx.raw('id::text AS id'))) as Array<{ id: string }>
  ).map((c) => c.id);
  await recordChanges(
    trx,
    at,
    actor,
    children.map((id) => ({
      request: { id, jurisdiction_id: parent.jurisdiction_id },
      entry: {
        kind: 'note',
        public: true,
        detailedStatus: 'duplicate' as const,
        summary: 'The original report was closed',
        description: text,
      },
    })),
  );
  if (children.length > 0) await touchPublic(trx, children, at);
  return children;
}
