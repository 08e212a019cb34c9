/**
 * Staff changes to a request (issue #6): status, transfer, priority, assignment, notes. Each change is one
 * transaction that locks the request row, applies the change, and appends a history row saying who,
 * when, through which channel, and whether it is public. `updated_at` (Open311 updated_datetime) moves
 * only with public changes; internal notes never show in public output.
 */
import type { Knex } from 'knex';
import { badRequest, notFound } from '../http/errors';
import { emit, eventForHistory, type EventType } from '../notify/outbox';
import { recomputeResponseLevel } from '../sla/recompute';
import { createSurvey } from '../surveys/surveys';
import { tellDuplicates } from './links';
import { isDetailedStatus, PAUSE_STATUS, statusOf, type DetailedStatus } from './statuses';

export const PRIORITIES = ['low', 'normal', 'high', 'urgent'] as const;
export type Priority = (typeof PRIORITIES)[number];

export interface Actor {
  type: 'api_key' | 'staff' | 'system';
  id: string | null;
  label: string;
  channel: string | null;
}

export interface HistoryEntry {
  kind: string;
  public: boolean;
  detailedStatus?: DetailedStatus | null;
  summary?: string | null;
  description?: string | null;
  mediaUrl?: string | null;
  updateId?: string | null;
  data?: Record<string, unknown>;
  /** The outbox event; by default derived from the kind (see notify/outbox.ts). */
  event?: EventType;
}

interface LockedRequest {
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

export async function appendHistory(
  trx: Knex.Transaction,
  r: { id: string; jurisdiction_id: string },
  at: Date,
  actor: Actor,
  e: HistoryEntry,
): Promise<string> {
  const [row] = (await trx('request_history')
    .insert({
      request_id: r.id,
      jurisdiction_id: r.jurisdiction_id,
      occurred_at: at,
      kind: e.kind,
      public: e.public,
      actor_type: actor.type,
      actor_id: actor.id,
      actor_label: actor.label,
      channel: actor.channel,
      detailed_status: e.detailedStatus ?? null,
      summary: e.summary ?? null,
      description: e.description ?? null,
      media_url: e.mediaUrl ?? null,
      update_id: e.updateId ?? null,
      data: JSON.stringify(e.data ?? {}),
    })
    .returning(trx.raw('id::text AS id'))) as Array<{ id: string }>;
  const closed = e.detailedStatus ? statusOf(e.detailedStatus) === 'closed' : false;
  await emit(trx, {
    type: e.event ?? eventForHistory(e.kind, closed),
    requestId: r.id,
    at,
    data: { change: e.kind, public: e.public, summary: e.summary ?? null },
  });
  return row?.id as string;
}

/** Moves updated_at for a public change; never backwards (a late-arriving update keeps the newest time). */
export async function touchPublic(trx: Knex.Transaction, id: string, at: Date): Promise<void> {
  await trx('service_requests')
    .where('id', id)
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

export interface StatusChange {
  detailedStatus: string;
  note?: string;
  public?: boolean;
  statusNotes?: string;
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
      ...(closing ? { next_escalation_at: null } : {}),
    });
  if (to === PAUSE_STATUS) {
    await trx('request_sla_pauses').insert({ request_id: r.id, paused_from: at });
    await trx('service_requests').where('id', r.id).update({ next_escalation_at: null });
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

export async function changeStatus(
  trx: Knex.Transaction,
  jurisdictionId: string,
  id: string,
  change: StatusChange,
  actor: Actor,
  at: Date,
): Promise<LockedRequest> {
  const to = change.detailedStatus.toLowerCase();
  if (!isDetailedStatus(to))
    throw badRequest(`detailed_status "${change.detailedStatus}" is not a known status.`);
  const r = await lockRequest(trx, jurisdictionId, id);
  await applyStatus(trx, r, to, change.statusNotes ?? change.note ?? null, at, actor);
  const isPublic = change.public ?? true;
  await appendHistory(trx, r, at, actor, {
    kind: 'status_change',
    public: isPublic,
    detailedStatus: to,
    summary: `Status changed from ${r.detailed_status} to ${to}`,
    description: change.note ?? null,
  });
  if (isPublic) await touchPublic(trx, r.id, at);
  return { ...r, detailed_status: to, status: statusOf(to) };
}

export async function addNote(
  trx: Knex.Transaction,
  jurisdictionId: string,
  id: string,
  text: string,
  isPublic: boolean,
  actor: Actor,
  at: Date,
): Promise<void> {
  const r = await lockRequest(trx, jurisdictionId, id);
  await appendHistory(trx, r, at, actor, {
    kind: 'note',
    public: isPublic,
    detailedStatus: r.detailed_status,
    summary: isPublic ? 'Update' : 'Internal note',
    description: text,
  });
  if (isPublic) await touchPublic(trx, r.id, at);
}

export async function transfer(
  trx: Knex.Transaction,
  jurisdictionId: string,
  id: string,
  agencyCode: string,
  note: string | undefined,
  actor: Actor,
  at: Date,
): Promise<void> {
  const r = await lockRequest(trx, jurisdictionId, id);
  if (r.status === 'closed') throw badRequest('A closed request cannot be transferred; reopen it first.');
  const agency = (await trx('agencies')
    .where({ jurisdiction_id: jurisdictionId, code: agencyCode })
    .first('id', 'name')) as { id: number; name: string } | undefined;
  if (!agency) throw badRequest(`agency_code "${agencyCode}" is not an agency of this jurisdiction.`);
  if (Number(agency.id) === Number(r.agency_id))
    throw badRequest(`The request already belongs to ${agency.name}.`);
  await trx('service_requests').where('id', r.id).update({ agency_id: agency.id, assigned_to: null });
  await appendHistory(trx, r, at, actor, {
    kind: 'transfer',
    public: true,
    detailedStatus: r.detailed_status,
    summary: `Transferred to ${agency.name}`,
    description: note ?? null,
    data: { from_agency_id: r.agency_id, to_agency_id: Number(agency.id) },
  });
  await touchPublic(trx, r.id, at);
}

export async function setPriority(
  trx: Knex.Transaction,
  jurisdictionId: string,
  id: string,
  priority: string,
  actor: Actor,
  at: Date,
): Promise<LockedRequest> {
  if (!(PRIORITIES as readonly string[]).includes(priority))
    throw badRequest(`priority must be one of ${PRIORITIES.join(', ')}.`);
  const r = await lockRequest(trx, jurisdictionId, id);
  if (r.priority === priority) throw badRequest(`The priority is already ${priority}.`);
  await trx('service_requests').where('id', r.id).update({ priority });
  const expected = await recomputeResponseLevel(trx, r.id, at);
  await appendHistory(trx, r, at, actor, {
    kind: 'priority',
    public: false,
    detailedStatus: r.detailed_status,
    summary: `Priority changed from ${r.priority} to ${priority}`,
    data: { from: r.priority, to: priority, expected_at: expected?.toISOString() ?? null },
  });
  return { ...r, priority: priority as Priority };
}

export async function assign(
  trx: Knex.Transaction,
  jurisdictionId: string,
  id: string,
  assignee: string | null,
  actor: Actor,
  at: Date,
): Promise<void> {
  const r = await lockRequest(trx, jurisdictionId, id);
  await trx('service_requests').where('id', r.id).update({ assigned_to: assignee });
  await appendHistory(trx, r, at, actor, {
    kind: 'assignment',
    public: false,
    detailedStatus: r.detailed_status,
    summary: assignee ? `Assigned to ${assignee}` : 'Unassigned',
  });
}
