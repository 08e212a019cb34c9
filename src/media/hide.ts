/**
 * Staff hide a file (issue #18.6): it leaves every public output and its URL answers 404, the stored file is
 * kept for staff. Hiding and showing again are history entries of the request, like any staff action.
 */
import type { Knex } from 'knex';
import { notFound } from '../core';
import { lockRequest, recordChange, touchPublic, type Actor } from '../requests';
import { MEDIA_ID } from './ids';

export async function setHidden(
  trx: Knex.Transaction,
  jurisdictionId: string,
  mediaId: string,
  hidden: boolean,
  actor: Actor,
  at: Date,
): Promise<{ requestId: string; changed: boolean }> {
  const missing = () => notFound(`media "${mediaId.slice(0, 40)}" was not found.`);
  if (!MEDIA_ID.test(mediaId)) throw missing();
  const row = (await trx('media')
    .where({ id: mediaId, jurisdiction_id: jurisdictionId })
    .whereNotNull('committed_at')
    .first(trx.raw('request_id::text AS request_id'), 'hidden_at')) as
    { request_id: string; hidden_at: Date | null } | undefined;
  if (!row) throw missing();
  const r = await lockRequest(trx, jurisdictionId, row.request_id);
  if ((row.hidden_at !== null) === hidden) return { requestId: r.id, changed: false };
  await trx('media')
    .where({ id: mediaId })
    .update(hidden ? { hidden_at: at, hidden_by: actor.label } : { hidden_at: null, hidden_by: null });
  await recordChange(trx, r, at, actor, {
    kind: hidden ? 'media_hidden' : 'media_shown',
    public: false,
    summary: hidden
      ? `Photo ${mediaId} hidden from the public`
      : `Photo ${mediaId} shown to the public again`,
    data: { media_id: mediaId },
  });
  // Public outputs changed (media_url): clients syncing with updated_after see it.
  await touchPublic(trx, r.id, at);
  return { requestId: r.id, changed: true };
}
