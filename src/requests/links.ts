/**
 * Links between reports of one problem: a duplicate points at its parent, the parent counts its
 * supporters. Staff can link, unlink and merge; closing a parent tells every duplicate's reporter.
 */
import type { Knex } from 'knex';
import { badRequest, notFound } from '../core';
import { fillText, recordChange, SUPPORTER_SUMMARY, type Actor } from './record';
import { applyStatus, lockRequest, touchPublic } from './status';

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

export async function link(
  trx: Knex.Transaction,
  jurisdictionId: string,
  childId: string,
  parentIdGiven: string,
  actor: Actor,
  at: Date,
): Promise<string> {
  const parentId = await rootOf(trx, jurisdictionId, parentIdGiven);
  if (parentId === childId) throw badRequest('A request cannot be a duplicate of itself.');
  const parent = await lockRequest(trx, jurisdictionId, parentId);
  if (parent.status === 'closed') throw badRequest(`${parentId} is closed; link to an open request.`);
  const child = await lockRequest(trx, jurisdictionId, childId);
  if (child.parent_request_id)
    throw badRequest(`${childId} is already a duplicate of ${child.parent_request_id}; unlink it first.`);
  if (child.status === 'closed')
    throw badRequest(`${childId} is closed as "${child.detailed_status}"; reopen it before linking.`);
  await applyStatus(trx, child, 'duplicate', `Duplicate of ${parentId}`, at, actor);
  await trx('service_requests')
    .where('id', childId)
    .update({ parent_request_id: parentId, next_escalation_at: null });
  await recordChange(trx, child, at, actor, {
    kind: 'link',
    public: true,
    detailedStatus: 'duplicate',
    summary: `Linked as a duplicate of ${parentId}`,
  });
  await touchPublic(trx, childId, at);
  // The child's own supporters (when merging) come along.
  const own = (await trx('service_requests').where('id', childId).first('supporter_count')) as {
    supporter_count: number;
  };
  await addSupporter(trx, parentId, childId, at, actor, 1 + Number(own.supporter_count));
  return parentId;
}

export async function unlink(
  trx: Knex.Transaction,
  jurisdictionId: string,
  childId: string,
  actor: Actor,
  at: Date,
): Promise<void> {
  const child = await lockRequest(trx, jurisdictionId, childId);
  if (!child.parent_request_id) throw badRequest(`${childId} is not linked to another request.`);
  await applyStatus(trx, child, 'reopen', null, at, actor);
  await trx('service_requests').where('id', childId).update({ parent_request_id: null });
  await trx('service_requests').where('id', child.parent_request_id).decrement('supporter_count', 1);
  await recordChange(trx, child, at, actor, {
    kind: 'unlink',
    public: true,
    detailedStatus: 'reopen',
    summary: `Unlinked from ${child.parent_request_id}`,
  });
  await recordChange(trx, { id: child.parent_request_id, jurisdiction_id: jurisdictionId }, at, actor, {
    kind: 'unlink',
    public: false,
    summary: `${childId} is no longer a duplicate of this request`,
  });
  await touchPublic(trx, childId, at);
}

/** Merges `fromId` (and its duplicates) into `intoId`. */
export async function merge(
  trx: Knex.Transaction,
  jurisdictionId: string,
  fromId: string,
  intoId: string,
  actor: Actor,
  at: Date,
): Promise<string> {
  const target = await rootOf(trx, jurisdictionId, intoId);
  const children = (await trx('service_requests')
    .where({ parent_request_id: fromId, jurisdiction_id: jurisdictionId })
    .select(trx.raw('id::text AS id'))) as Array<{ id: string }>;
  await trx('service_requests')
    .whereIn(
      'id',
      children.map((c) => c.id),
    )
    .update({ parent_request_id: target });
  for (const c of children) {
    await recordChange(trx, { id: c.id, jurisdiction_id: jurisdictionId }, at, actor, {
      kind: 'merge',
      public: true,
      detailedStatus: 'duplicate',
      summary: `Now a duplicate of ${target} (merged from ${fromId})`,
    });
  }
  await trx('service_requests').where('id', fromId).update({ supporter_count: 0 });
  await link(trx, jurisdictionId, fromId, target, actor, at);
  await trx('service_requests').where('id', target).increment('supporter_count', children.length);
  return target;
}
