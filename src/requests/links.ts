/**
 * Links between reports of one problem (issue #16): a linked report points at its parent, stays open and
 * follows the parent's status (status.ts mirrors every change); the parent counts its supporters. Closing a
 * report as `duplicate` is a staff decision only (`confirmDuplicate`); staff can also link, unlink and merge.
 * As for lifecycle.ts's changes, a staff action's time may be the clock: it is then read once the action holds
 * the rows it changes, so actions that wait for each other are timed in the order they are written.
 */
import type { Knex } from 'knex';
import { badRequest, notFound, transientConflict } from '../core';
import { requestIdOrNotFound } from './ids';
import { fillText, recordChange, SUPPORTER_SUMMARY, type Actor } from './record';
import { timeOf, type ChangeTime } from './lifecycle';
import { recomputeResponseLevel } from './recompute';
import {
  applyStatus,
  lockedColumns,
  lockRequest,
  setStatus,
  touchPublic,
  type LockedRequest,
} from './status';

const SYSTEM: Actor = { type: 'system', id: null, label: 'duplicate check', channel: null };

export async function addSupporter(
  trx: Knex.Transaction,
  parentId: string,
  childId: string,
  at: Date,
  actor: Actor = SYSTEM,
  count = 1,
): Promise<void> {
  const parent = (await trx('service_requests')
    .where('id', parentId)
    .increment('supporter_count', count)
    .returning(['jurisdiction_id', 'supporter_count'])) as Array<{
    jurisdiction_id: string;
    supporter_count: number;
  }>;
  const p = parent[0];
  if (!p) return;
  await recordChange(trx, { id: parentId, jurisdiction_id: p.jurisdiction_id }, at, actor, {
    kind: 'supporter',
    public: false,
    summary: fillText(SUPPORTER_SUMMARY, { child: childId, total: p.supporter_count }),
    data: { duplicate_service_request_id: childId },
  });
}

/**
 * Follows parent links to the root, so duplicates never chain. `id` is canonical; a request that is not
 * there is a 404 naming `field`, the body field it was given in.
 */
async function rootOf(
  trx: Knex.Transaction,
  jurisdictionId: string,
  id: string,
  field: string,
): Promise<string> {
  let current = id;
  for (let i = 0; i < 10; i += 1) {
    const row = (await trx('service_requests')
      .where({ id: current, jurisdiction_id: jurisdictionId })
      .first(trx.raw('parent_request_id::text AS parent'))) as { parent: string | null } | undefined;
    if (!row && current === id) throw notFound(`${field} "${id}" was not found.`);
    if (!row?.parent) return current;
    current = row.parent;
  }
  return current;
}

/** Request ids (canonical) in numeric order: the order every action locks two requests in. */
const byId = (a: string, b: string): number => a.length - b.length || (a < b ? -1 : a > b ? 1 : 0);

/**
 * Locks a report and the root it is to be linked to, both in id order (so a link of A to B and one of B to
 * A sent at once wait for each other rather than deadlock), then checks the root under the lock: a root
 * read before locking may have been linked since (B to A, while A was being linked to B), so when the
 * locked root has a parent the walk starts again; a root that is the report itself is refused (`itself`).
 * Without that check two links in opposite directions both went through and made a cycle.
 */
async function lockForLink(
  trx: Knex.Transaction,
  jurisdictionId: string,
  childId: string,
  parentId: string,
  field: string,
  itself: string,
): Promise<{ child: LockedRequest; parent: LockedRequest }> {
  for (let attempt = 0; attempt < 5; attempt += 1) {
    const rootId = await rootOf(trx, jurisdictionId, parentId, field);
    if (rootId === childId) throw badRequest(itself);
    const [first, second] = [childId, rootId].sort(byId) as [string, string];
    const locked = [
      await lockRequest(trx, jurisdictionId, first),
      await lockRequest(trx, jurisdictionId, second),
    ];
    const child = locked[first === childId ? 0 : 1] as LockedRequest;
    const parent = locked[first === childId ? 1 : 0] as LockedRequest;
    if (!parent.parent_request_id) return { child, parent };
  }
  throw transientConflict();
}

/**
 * Links a report to the root of `parentIdGiven`: it stays open and takes the parent's status from now on.
 * Both ids may be written as a client wrote them ("00100422" is 100422); the report itself, or a request
 * already linked to it, is refused as a parent.
 */
export async function link(
  trx: Knex.Transaction,
  jurisdictionId: string,
  childIdGiven: string,
  parentIdGiven: string,
  actor: Actor,
  when: ChangeTime,
): Promise<string> {
  const childId = requestIdOrNotFound(childIdGiven);
  const given = requestIdOrNotFound(parentIdGiven, 'parent_service_request_id');
  const { child, parent } = await lockForLink(
    trx,
    jurisdictionId,
    childId,
    given,
    'parent_service_request_id',
    'A request cannot be a duplicate of itself.',
  );
  const parentId = parent.id;
  const at = timeOf(when);
  if (parent.status === 'closed') throw badRequest(`${parentId} is closed; link to an open request.`);
  if (child.parent_request_id)
    throw badRequest(`${childId} is already a duplicate of ${child.parent_request_id}; unlink it first.`);
  if (child.status === 'closed')
    throw badRequest(`${childId} is closed as "${child.detailed_status}"; reopen it before linking.`);
  if (child.detailed_status !== parent.detailed_status)
    await setStatus(trx, child, parent.detailed_status, null, at);
  await trx('service_requests')
    .where('id', childId)
    .update({ parent_request_id: parentId, next_escalation_at: null });
  await recordChange(trx, child, at, actor, {
    kind: 'link',
    public: true,
    detailedStatus: parent.detailed_status,
    summary: `Linked to ${parentId}, a report of the same problem; it follows that request`,
  });
  await touchPublic(trx, childId, at);
  // The child's own supporters (when merging) come along.
  const own = (await trx('service_requests').where('id', childId).first('supporter_count')) as {
    supporter_count: number;
  };
  await addSupporter(trx, parentId, childId, at, actor, 1 + Number(own.supporter_count));
  return parentId;
}

/** Staff confirm a link: the linked report is closed as `duplicate` (only staff ever close one so). */
export async function confirmDuplicate(
  trx: Knex.Transaction,
  jurisdictionId: string,
  childIdGiven: string,
  actor: Actor,
  when: ChangeTime,
): Promise<void> {
  const child = await lockRequest(trx, jurisdictionId, childIdGiven);
  const childId = child.id;
  if (!child.parent_request_id) throw badRequest(`${childId} is not linked to another request.`);
  const at = timeOf(when);
  const note = `Duplicate of ${child.parent_request_id}`;
  await applyStatus(trx, child, 'duplicate', note, at, actor);
  await recordChange(trx, child, at, actor, {
    kind: 'status_change',
    public: true,
    detailedStatus: 'duplicate',
    summary: `Confirmed as a duplicate of ${child.parent_request_id}`,
    description: note,
  });
  await touchPublic(trx, childId, at);
}

/**
 * Unlinks a report: it becomes independent, with its own response-level clock from its own requested time
 * (a report closed as a duplicate is reopened).
 */
export async function unlink(
  trx: Knex.Transaction,
  jurisdictionId: string,
  childIdGiven: string,
  actor: Actor,
  when: ChangeTime,
): Promise<void> {
  const child = await lockRequest(trx, jurisdictionId, childIdGiven);
  const childId = child.id;
  const parentId = child.parent_request_id;
  if (!parentId) throw badRequest(`${childId} is not linked to another request.`);
  const at = timeOf(when);
  await trx('service_requests').where('id', childId).update({ parent_request_id: null });
  await trx('service_requests').where('id', parentId).decrement('supporter_count', 1);
  const independent = { ...child, parent_request_id: null };
  if (child.status === 'closed') await applyStatus(trx, independent, 'reopen', null, at, actor);
  else await recomputeResponseLevel(trx, childId, at);
  await recordChange(trx, child, at, actor, {
    kind: 'unlink',
    public: true,
    detailedStatus: child.status === 'closed' ? 'reopen' : child.detailed_status,
    summary: `Unlinked from ${parentId}`,
  });
  await recordChange(trx, { id: parentId, jurisdiction_id: jurisdictionId }, at, actor, {
    kind: 'unlink',
    public: false,
    summary: `${childId} is no longer a duplicate of this request`,
  });
  await touchPublic(trx, childId, at);
}

/**
 * Merges `fromId` (and the reports linked to it) into `intoId`: a staff decision, so `fromId` is closed as a
 * duplicate; its linked reports follow the new parent.
 */
export async function merge(
  trx: Knex.Transaction,
  jurisdictionId: string,
  fromIdGiven: string,
  intoIdGiven: string,
  actor: Actor,
  when: ChangeTime,
): Promise<string> {
  const fromId = requestIdOrNotFound(fromIdGiven);
  const given = requestIdOrNotFound(intoIdGiven, 'into_service_request_id');
  const { parent: into } = await lockForLink(
    trx,
    jurisdictionId,
    fromId,
    given,
    'into_service_request_id',
    'A request cannot be merged into itself.',
  );
  const target = into.id;
  const children = (await trx('service_requests')
    .where({ parent_request_id: fromId, jurisdiction_id: jurisdictionId })
    .orderBy('id')
    .forUpdate()
    .select(...lockedColumns(trx))) as LockedRequest[];
  const at = timeOf(when);
  await trx('service_requests')
    .whereIn(
      'id',
      children.map((c) => c.id),
    )
    .update({ parent_request_id: target });
  for (const c of children) {
    // A report still following its old parent now follows the new one.
    const follows = c.status === 'open' && c.detailed_status !== into.detailed_status;
    if (follows) await setStatus(trx, c, into.detailed_status, null, at);
    await recordChange(trx, c, at, actor, {
      kind: 'merge',
      public: true,
      detailedStatus: follows ? into.detailed_status : c.detailed_status,
      summary: `Now linked to ${target} (merged from ${fromId})`,
    });
  }
  await trx('service_requests').where('id', fromId).update({ supporter_count: 0 });
  await link(trx, jurisdictionId, fromId, target, actor, at);
  await confirmDuplicate(trx, jurisdictionId, fromId, actor, at);
  await trx('service_requests').where('id', target).increment('supporter_count', children.length);
  return target;
}
