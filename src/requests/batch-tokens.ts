import type { Knex } from 'knex';
import { insertRequest, type NewRequest } from './write';

/**
 * Creates the requests of pending batch tokens (Open311 type=batch). Rows are claimed with
 * FOR UPDATE SKIP LOCKED, so several workers never create the same request twice.
 */
export async function processBatchTokens(knex: Knex, now: Date, limit = 100): Promise<number> {
  return knex.transaction(async (trx) => {
    const pending = (await trx('request_tokens')
      .whereNull('processed_at')
      .orderBy('created_at')
      .limit(limit)
      .forUpdate()
      .skipLocked()
      .select('token', 'submission')) as Array<{ token: string; submission: NewRequest }>;
    for (const p of pending) {
      const id = await insertRequest(trx, {
        ...p.submission,
        clientRequestId: null,
        clientRequestFingerprint: null,
      });
      // The contact now lives in request_contacts only; the queued copy is dropped.
      await trx('request_tokens')
        .where('token', p.token)
        .update({ request_id: id, processed_at: now, submission: trx.raw("submission - 'contact'") });
    }
    return pending.length;
  });
}
