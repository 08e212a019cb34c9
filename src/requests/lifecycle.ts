/**
 * Staff changes to a request (issue #6): status, transfer, priority, assignment, notes. Each change is one
 * transaction that locks the request row, applies the change, and appends a history row saying who,
 * when, through which channel, and whether it is public. `updated_at` (Open311 updated_datetime) moves
 * only with public changes; internal notes never show in public output.
 *
 * One rule for a staff member's free text (`note` of status and transfer, `text` of notes): it is
 * internal unless the caller says `public: true`. The fact of a status change or a transfer (the new
 * status, the new department's name) is public whatever the note: it shows in the public request anyway.
 * An internal note given with a status change or a transfer is its own internal `note` history row.
 *
 * A change's time (`when`) may be the clock rather than a time: the change is then timed once it holds the request's row, so
 * changes that wait for each other are timed in the order they are written (the history lists them in
 * that order, and updated_datetime never lags a change written after it).
 */
import type { Knex } from 'knex';
import { badRequest } from '../core';
import { PRIORITIES, type Priority } from '../sla';
import { recordChange, type Actor, type HistoryEntry } from './record';
import { recomputeResponseLevel } from './recompute';
import { applyStatus, lockRequest, mirrorNote, touchPublic, type LockedRequest } from './status';
import { isDetailedStatus, statusOf } from './statuses';

/** A change's time, or the clock to read it from once the request is locked. */
export type ChangeTime = Date | (() => Date);
export const timeOf = (when: ChangeTime): Date => (typeof when === 'function' ? when() : when);

export interface StatusChange {
  detailedStatus: string;
  note?: string;
  /** Whether `note` is published (status_notes, notes, updates); default false (internal). */
  public?: boolean;
  statusNotes?: string;
}

/** A staff note kept internal beside a public change (see the rule above); none without text. */
function internalNote(r: LockedRequest, note: string | null | undefined): HistoryEntry[] {
  if (!note) return [];
  return [
    {
      kind: 'note',
      public: false,
      detailedStatus: r.detailed_status,
      summary: 'Internal note',
      description: note,
    },
  ];
}

export async function changeStatus(
  trx: Knex.Transaction,
  jurisdictionId: string,
  id: string,
  change: StatusChange,
  actor: Actor,
  when: ChangeTime,
): Promise<LockedRequest> {
  const to = change.detailedStatus.toLowerCase();
  if (!isDetailedStatus(to))
    throw badRequest(`detailed_status "${change.detailedStatus}" is not a known status.`);
  const r = await lockRequest(trx, jurisdictionId, id);
  const at = timeOf(when);
  // `duplicate` names the request it repeats: only a linked report can be closed so (as confirm-duplicate
  // does, with the same notes); an unlinked one is linked first, or merged.
  const duplicateOf = to === 'duplicate' ? r.parent_request_id : null;
  if (to === 'duplicate' && !duplicateOf)
    throw badRequest(
      `${r.id} is not linked to another request: a request is closed as "duplicate" by linking it (POST /staff/v1/requests/${r.id}/link) and confirming it (POST /staff/v1/requests/${r.id}/confirm-duplicate), or by merging it (POST /staff/v1/requests/${r.id}/merge).`,
    );
  const publicNote =
    change.public === true ? (change.note ?? null) : duplicateOf ? `Duplicate of ${duplicateOf}` : null;
  // status_notes is a public GeoReport field: only a public note (or the caller's own text) goes there.
  await applyStatus(trx, r, to, change.statusNotes ?? publicNote, at, actor);
  await recordChange(
    trx,
    r,
    at,
    actor,
    {
      kind: 'status_change',
      public: true,
      detailedStatus: to,
      summary: duplicateOf
        ? `Confirmed as a duplicate of ${duplicateOf}`
        : `Status changed from ${r.detailed_status} to ${to}`,
      description: publicNote,
    },
    ...internalNote({ ...r, detailed_status: to }, change.public === true ? null : change.note),
  );
  await touchPublic(trx, r.id, at);
  return { ...r, detailed_status: to, status: statusOf(to) };
}

export async function addNote(
  trx: Knex.Transaction,
  jurisdictionId: string,
  id: string,
  text: string,
  isPublic: boolean,
  actor: Actor,
  when: ChangeTime,
): Promise<void> {
  const r = await lockRequest(trx, jurisdictionId, id);
  const at = timeOf(when);
  await recordChange(trx, r, at, actor, {
    kind: 'note',
    public: isPublic,
    detailedStatus: r.detailed_status,
    summary: isPublic ? 'Update' : 'Internal note',
    description: text,
  });
  if (isPublic) {
    await touchPublic(trx, r.id, at);
    await mirrorNote(trx, r, text, actor, at);
  }
}

export async function transfer(
  trx: Knex.Transaction,
  jurisdictionId: string,
  id: string,
  agencyCode: string,
  note: string | undefined,
  actor: Actor,
  when: ChangeTime,
  notePublic = false,
): Promise<void> {
  const r = await lockRequest(trx, jurisdictionId, id);
  const at = timeOf(when);
  if (r.status === 'closed') throw badRequest('A closed request cannot be transferred; reopen it first.');
  const agency = (await trx('agencies')
    .where({ jurisdiction_id: jurisdictionId, code: agencyCode })
    .first('id', 'name')) as { id: number; name: string } | undefined;
  if (!agency) throw badRequest(`agency_code "${agencyCode}" is not an agency of this jurisdiction.`);
  if (Number(agency.id) === Number(r.agency_id))
    throw badRequest(`The request already belongs to ${agency.name}.`);
  await trx('service_requests').where('id', r.id).update({ agency_id: agency.id, assigned_to: null });
  await recordChange(
    trx,
    r,
    at,
    actor,
    {
      kind: 'transfer',
      public: true,
      detailedStatus: r.detailed_status,
      summary: `Transferred to ${agency.name}`,
      description: notePublic ? (note ?? null) : null,
      data: { from_agency_id: r.agency_id, to_agency_id: Number(agency.id) },
    },
    ...internalNote(r, notePublic ? null : note),
  );
  await touchPublic(trx, r.id, at);
}

export async function setPriority(
  trx: Knex.Transaction,
  jurisdictionId: string,
  id: string,
  priority: string,
  actor: Actor,
  when: ChangeTime,
): Promise<LockedRequest> {
  if (!(PRIORITIES as readonly string[]).includes(priority))
    throw badRequest(`priority must be one of ${PRIORITIES.join(', ')}.`);
  const r = await lockRequest(trx, jurisdictionId, id);
  const at = timeOf(when);
  if (r.priority === priority) throw badRequest(`The priority is already ${priority}.`);
  await trx('service_requests').where('id', r.id).update({ priority });
  const expected = await recomputeResponseLevel(trx, r.id, at);
  await recordChange(trx, r, at, actor, {
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
  when: ChangeTime,
): Promise<void> {
  const r = await lockRequest(trx, jurisdictionId, id);
  const at = timeOf(when);
  await trx('service_requests').where('id', r.id).update({ assigned_to: assignee });
  await recordChange(trx, r, at, actor, {
    kind: 'assignment',
    public: false,
    detailedStatus: r.detailed_status,
    summary: assignee ? `Assigned to ${assignee}` : 'Unassigned',
  });
}
