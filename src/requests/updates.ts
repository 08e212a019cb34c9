/**
 * mySociety's service request updates (OPEN311.md "Extensions"), which FixMyStreet uses to sync both ways.
 * GET lists the public history of public requests in a time window, each update under its history row id
 * (one id space for posted and native updates). POST appends an update: `postUpdate` (incoming-update.ts).
 */
import type { Knex } from 'knex';

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
      knex.raw('h.id::text AS update_id'),
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
