/**
 * A request's status, the rule for moving it, and what moving it sets off: closing stops the escalation
 * clock, linked reports follow their parent, `waiting_on_resident` pauses the response level, reopening restarts it.
 * Callers lock the request first (`lockRequest`) and record the change with `recordChange`.
 */
import type { Knex } from 'knex';
import { badRequest, notFound } from '../core';
import { requestIdOrNotFound } from './ids';
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
  requested_at: Date;
}

/** The columns of a LockedRequest, for every query that locks requests. */
export function lockedColumns(trx: Knex.Transaction): Array<string | Knex.Raw> {
  return [
    trx.raw('id::text AS id'),
    'jurisdiction_id',
    'detailed_status',
    'status',
    'agency_id',
    'priority',
    trx.raw('parent_request_id::text AS parent_request_id'),
    'requested_at',
  ];
}

/**
 * Locks one request of the jurisdiction (FOR UPDATE), or a 404; `id` as a client wrote it (ids.ts: "007" is 7,
 * and the row's `id` is the canonical one). With `{ privacy: true }` the row also says
 * whether its service is private (`is_private`, read in the same statement: a subquery, so only the request
 * row is locked), for callers that answer differently for private services.
 */
export async function lockRequest(
  trx: Knex.Transaction,
  jurisdictionId: string,
  id: string,
): Promise<LockedRequest>;
export async function lockRequest(
  trx: Knex.Transaction,
  jurisdictionId: string,
  id: string,
  opts: { privacy: true },
): Promise<LockedRequest & { is_private: boolean }>;
export async function lockRequest(
  trx: Knex.Transaction,
  jurisdictionId: string,
  idGiven: string,
  opts?: { privacy: true },
): Promise<LockedRequest & { is_private?: boolean }> {
  const id = requestIdOrNotFound(idGiven);
  const columns = lockedColumns(trx);
  if (opts?.privacy)
    columns.push(
      trx.raw(
        '(SELECT s.is_private FROM services s WHERE s.id = service_requests.service_id) IS TRUE AS is_private',
      ),
    );
  const row = (await trx('service_requests')
    .where({ id, jurisdiction_id: jurisdictionId })
    .forUpdate()
    .first(...columns)) as (LockedRequest & { is_private?: boolean }) | undefined;
  if (!row) throw notFound(`service_request_id "${id}" was not found.`);
  return row;
}

/** Moves updated_at for a public change; never backwards (a late-arriving update keeps the newest time). */
export async function touchPublic(trx: Knex.Transaction, ids: string | string[], at: Date): Promise<void> {
  if (Array.isArray(ids) && ids.length === 0) return;
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
 * Sets the status columns of a locked request (no history: the caller records it). Closing stops the
 * escalation clock; entering `waiting_on_resident` pauses the response level and leaving it resumes it (the
 * due time moves by the pause); reopening restarts the clock from the original request time. A linked report
 * has no clock of its own while it follows its parent.
 */
export async function setStatus(
  trx: Knex.Transaction,
  r: LockedRequest,
  to: DetailedStatus,
  statusNotes: string | null,
  at: Date,
): Promise<void> {
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
  if (!closing && (r.detailed_status === PAUSE_STATUS || r.status === 'closed')) {
    await recomputeResponseLevel(trx, r.id, at);
    if (r.parent_request_id)
      await trx('service_requests').where('id', r.id).update({ next_escalation_at: null });
  }
}

/**
 * Moves a locked request to `to` under the transition rule. A parent's change is mirrored to every report
 * linked to it (issue #16: linked reports follow their parent), each with its own history row; when the
 * parent closes, everyone who reported the problem is asked how it went (unless `surveys` is false).
 */
export async function applyStatus(
  trx: Knex.Transaction,
  r: LockedRequest,
  to: DetailedStatus,
  statusNotes: string | null,
  at: Date,
  actor: Actor,
  options: { surveys?: boolean } = {},
): Promise<void> {
  checkTransition(r.detailed_status, to);
  await setStatus(trx, r, to, statusNotes, at);
  if (r.parent_request_id) return;
  const followers = await mirrorStatus(trx, r, to, statusNotes, actor, at);
  if (statusOf(to) === 'closed' && to !== 'duplicate' && to !== 'cancelled' && options.surveys !== false)
    for (const id of [r.id, ...followers]) await createSurvey(trx, id, r.jurisdiction_id, at);
}

/**
 * The reports following a parent: linked to it, not confirmed as duplicates by staff, and in the parent's
 * open/closed state (a report its resident closed stays closed while the parent is open).
 */
async function followers(
  trx: Knex.Transaction,
  parent: { id: string; status: 'open' | 'closed' },
): Promise<LockedRequest[]> {
  return (await trx('service_requests')
    .where({ parent_request_id: parent.id, status: parent.status })
    .whereNot('detailed_status', 'duplicate')
    .orderBy('id')
    .forUpdate()
    .select(...lockedColumns(trx))) as LockedRequest[];
}

/** Mirrors a parent's status change (and its notes) onto its followers; returns their ids. */
async function mirrorStatus(
  trx: Knex.Transaction,
  parent: LockedRequest,
  to: DetailedStatus,
  notes: string | null,
  actor: Actor,
  at: Date,
): Promise<string[]> {
  const children = (await followers(trx, parent)).filter((c) => c.detailed_status !== to);
  for (const c of children) await setStatus(trx, c, to, notes, at);
  await recordChanges(
    trx,
    at,
    actor,
    children.map((c) => ({
      request: c,
      entry: {
        kind: 'status_change',
        public: true,
        detailedStatus: to,
        summary: `Status changed from ${c.detailed_status} to ${to}, following ${parent.id}`,
        description: notes,
        data: { parent_service_request_id: parent.id },
      },
    })),
  );
  await touchPublic(
    trx,
    children.map((c) => c.id),
    at,
  );
  return children.map((c) => c.id);
}

/** A public note on a parent is shown on every report following it, with its own history row. */
export async function mirrorNote(
  trx: Knex.Transaction,
  parent: LockedRequest,
  text: string,
  actor: Actor,
  at: Date,
): Promise<void> {
  if (parent.parent_request_id) return;
  const children = await followers(trx, parent);
  await recordChanges(
    trx,
    at,
    actor,
    children.map((c) => ({
      request: c,
      entry: {
        kind: 'note',
        public: true,
        detailedStatus: c.detailed_status,
        summary: `Update on ${parent.id}`,
        description: text,
        data: { parent_service_request_id: parent.id },
      },
    })),
  );
  await touchPublic(
    trx,
    children.map((c) => c.id),
    at,
  );
}
