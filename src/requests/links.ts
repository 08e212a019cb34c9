/**
 * Links between reports of one problem (issue #16): a linked report points at its parent, stays open and
 * follows the parent's status (status.ts mirrors every change); the parent counts its supporters. Closing a
 * report as `duplicate` is a staff decision only (`confirmDuplicate`); staff can also link, unlink and merge.
 * As for lifecycle.ts's changes, a staff action's time may be the clock: it is then read once the action holds
 * the rows it changes, so actions that wait for each other are timed in the order they are written.
 */
import type { Knex } from 'knex';
import { badRequest, notFound } from '../core';
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

/** Follows parent links to the root, so duplicates never chain. */
async function rootOf(trx: Knex.Transaction, jurisdictionId: string, id: string): Promise<string> {
  if (!/^\d{1,18}$/.test(id)) throw notFound(`service_request_id "${id}" was not found.`);
  let current = id;
  for (let i = 0; i < 10; i += 1) {
    const row = (await trx('service_requests')
      .where({ id: current, jurisdiction_id: jurisdictionId })
      .first(trx.raw('parent_request_id::text AS parent'))) as { parent: string | null } | undefined;
    if (!row?.parent) return current;
    current = row.parent;
  }
  return current;
}

/** Links a report to the root of `parentIdGiven`: it stays open and takes the parent's status from now on. */
export async function link(
  trx: Knex.Transaction,
  jurisdictionId: string,
  childId: string,
  parentIdGiven: string,
  actor: Actor,
  when: ChangeTime,
): Promise<string> {
  const parentId = await rootOf(trx, jurisdictionId, parentIdGiven);
  if (parentId === childId) throw badRequest('A request cannot be a duplicate of itself.');
  const parent = await lockRequest(trx, jurisdictionId, parentId);
  if (parent.status === 'closed') throw badRequest(`${parentId} is closed; link to an open request.`);
  const child = await lockRequest(trx, jurisdictionId, childId);
  const at = timeOf(when);
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
  childId: string,
  actor: Actor,
  when: ChangeTime,
): Promise<void> {
  const child = await lockRequest(trx, jurisdictionId, childId);
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
  childId: string,
  actor: Actor,
  when: ChangeTime,
): Promise<void> {
  const child = await lockRequest(trx, jurisdictionId, childId);
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
  fromId: string,
  intoId: string,
  actor: Actor,
  when: ChangeTime,
): Promise<string> {
  const target = await rootOf(trx, jurisdictionId, intoId);
  if (target === fromId) throw badRequest('A request cannot be merged into itself.');
  const into = await lockRequest(trx, jurisdictionId, target);
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
