/**
 * mySociety's service request updates (OPEN311.md "Extensions"), which FixMyStreet uses to sync both ways.
 * GET lists the public history of public requests in a time window; POST appends an update (idempotent on
 * the caller's update_id), changing the status when it differs. Both read and write request_history.
 */
import type { Knex } from 'knex';
import { badRequest } from '../core';
import { recordChange, type Actor } from './record';
import { applyStatus, lockRequest, touchPublic } from './status';
import { isDetailedStatus, statusOf, type DetailedStatus } from './statuses';

export interface UpdateRecord {
  updateId: string;
  serviceRequestId: string;
  status: string;
  updatedAt: Date;
  description: string | null;
  mediaUrl: string | null;
}

export async function listUpdates(
  knex: Knex,
  jurisdictionId: string,
  window: { start: Date; end: Date; page: number; pageSize: number },
): Promise<UpdateRecord[]> {
  const rows = (await knex('request_history as h')
    .join('service_requests as r', 'r.id', 'h.request_id')
    .join('services as s', 's.id', 'r.service_id')
    .where('h.jurisdiction_id', jurisdictionId)
    .where('h.public', true)
    .where('s.is_private', false)
    .where('h.occurred_at', '>=', window.start)
    .where('h.occurred_at', '<=', window.end)
    .select(
      knex.raw('coalesce(h.update_id, h.id::text) AS update_id'),
      knex.raw('h.request_id::text AS request_id'),
      knex.raw('coalesce(h.detailed_status, r.detailed_status) AS status'),
      'h.occurred_at',
      knex.raw('coalesce(h.description, h.summary) AS description'),
      'h.media_url',
    )
    .orderBy([{ column: 'h.occurred_at' }, { column: 'h.id' }])
    .limit(window.pageSize)
    .offset((window.page - 1) * window.pageSize)) as Array<{
    update_id: string;
    request_id: string;
    status: string;
    occurred_at: Date;
    description: string | null;
    media_url: string | null;
  }>;
  return rows.map((r) => ({
    updateId: r.update_id,
    serviceRequestId: r.request_id,
    status: r.status,
    updatedAt: r.occurred_at,
    description: r.description,
    mediaUrl: r.media_url,
  }));
}

export interface IncomingUpdate {
  serviceRequestId: string;
  updateId: string;
  status: string; // upper case on the wire: OPEN, CLOSED, FIXED, IN_PROGRESS...
  updatedAt: Date;
  description: string;
  mediaUrl: string | null;
}

/** Applies an incoming update once; a repeat of the same update_id returns it without a second change. */
export async function postUpdate(
  knex: Knex,
  jurisdictionId: string,
  u: IncomingUpdate,
  actor: Actor,
): Promise<string> {
  const wanted = u.status.toLowerCase();
  if (!isDetailedStatus(wanted))
    throw badRequest(`status "${u.status}" is not a known status (e.g. OPEN, IN_PROGRESS, FIXED, CLOSED).`);
  return knex.transaction(async (trx) => {
    const existing = await trx('request_history')
      .where({ jurisdiction_id: jurisdictionId, update_id: u.updateId })
      .first('id');
    if (existing) return u.updateId;
    const r = await lockRequest(trx, jurisdictionId, u.serviceRequestId);
    // A closed request updated as OPEN is reopened (how FixMyStreet reports a reopen).
    const to: DetailedStatus =
      statusOf(r.detailed_status) === 'closed' && wanted === 'open' ? 'reopen' : wanted;
    const changes = to !== r.detailed_status;
    if (changes) await applyStatus(trx, r, to, u.description || null, u.updatedAt, actor);
    // The public row carries the caller's update_id, so GET returns the update under the id it was sent with.
    await recordChange(trx, r, u.updatedAt, actor, {
      kind: changes ? 'status_change' : 'note',
      public: true,
      detailedStatus: to,
      summary: changes ? `Status changed from ${r.detailed_status} to ${to}` : 'Update',
      description: u.description,
      updateId: u.updateId,
      mediaUrl: u.mediaUrl,
    });
    await touchPublic(trx, r.id, u.updatedAt);
    return u.updateId;
  });
}
