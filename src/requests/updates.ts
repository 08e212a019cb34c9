/**
 * mySociety's service request updates (OPEN311.md "Extensions"), which FixMyStreet uses to sync both ways.
 * GET lists the public history of public requests in a time window, each update under its history row id
 * (one id space for posted and native updates). POST appends an update: `postUpdate` (incoming-update.ts).
 */
import type { Knex } from 'knex';
import { mediaPath } from './media-paths';

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
  window: { start: Date; end: Date; page: number; pageSize: number; requestIds?: string[] },
): Promise<UpdateRecord[]> {
  const q = knex('request_history as h');
  if (window.requestIds) q.whereIn('h.request_id', window.requestIds);
  const rows = (await q
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
      // An update's own uploaded file, when it has a visible one, is its media_url.
      knex.raw(
        `(SELECT json_build_object('id', m.id, 'ext', m.ext) FROM media m WHERE m.history_id = h.id
           AND m.committed_at IS NOT NULL AND m.hidden_at IS NULL ORDER BY m.position LIMIT 1) AS upload`,
      ),
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
    upload: { id: string; ext: string } | string | null;
  }>;
  return rows.map((r) => ({
    updateId: r.update_id,
    serviceRequestId: r.request_id,
    status: r.status,
    updatedAt: r.occurred_at,
    description: r.description,
    mediaUrl: uploadPath(r.upload) ?? r.media_url,
  }));
}

function uploadPath(upload: { id: string; ext: string } | string | null): string | null {
  if (upload === null) return null;
  const u = typeof upload === 'string' ? (JSON.parse(upload) as { id: string; ext: string }) : upload;
  return mediaPath(u.id, u.ext);
}
