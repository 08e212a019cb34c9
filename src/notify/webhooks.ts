/**
 * Webhook delivery from the outbox: fan each event out to the matching subscriptions, then deliver with
 * an HMAC-SHA256 signature, exponential back-off and a dead-letter state. A delivery is claimed by moving
 * its next attempt forward in one atomic UPDATE (FOR UPDATE SKIP LOCKED), so no transaction is held open
 * while the receiver answers and two workers never send the same attempt.
 */
import crypto from 'node:crypto';
import type { Knex } from 'knex';

export interface DeliveryOptions {
  maxAttempts: number;
  fetch?: typeof fetch;
  timeoutMs?: number;
}

const LEASE_MS = 60_000;
const BASE_BACKOFF_MS = 30_000;
const MAX_BACKOFF_MS = 6 * 3_600_000;

export function backoffMs(attempts: number): number {
  return Math.min(BASE_BACKOFF_MS * 2 ** Math.max(0, attempts - 1), MAX_BACKOFF_MS);
}

/** `sha256=` + hex HMAC of "<timestamp>.<body>" with the subscription's secret. */
export function sign(secret: string, timestamp: string, body: string): string {
  return `sha256=${crypto.createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex')}`;
}

export async function dispatchOutbox(knex: Knex, now: Date, limit = 500): Promise<number> {
  return knex.transaction(async (trx) => {
    const events = (await trx('outbox')
      .whereNull('dispatched_at')
      .orderBy('id')
      .limit(limit)
      .forUpdate()
      .skipLocked()
      .select('id', 'jurisdiction_id', 'event_type', 'service_code', 'agency_code')) as Array<{
      id: number;
      jurisdiction_id: string;
      event_type: string;
      service_code: string | null;
      agency_code: string | null;
    }>;
    if (events.length === 0) return 0;
    for (const e of events) {
      await trx.raw(
        `INSERT INTO webhook_deliveries (subscription_id, outbox_id, next_attempt_at)
         SELECT id, ?, ? FROM webhook_subscriptions
         WHERE active AND jurisdiction_id = ? AND ? = ANY(event_types)
           AND (service_code IS NULL OR service_code = ?) AND (agency_code IS NULL OR agency_code = ?)
         ON CONFLICT (subscription_id, outbox_id) DO NOTHING`,
        [e.id, now, e.jurisdiction_id, e.event_type, e.service_code ?? '', e.agency_code ?? ''],
      );
    }
    await trx('outbox')
      .whereIn(
        'id',
        events.map((e) => e.id),
      )
      .update({ dispatched_at: now });
    return events.length;
  });
}

interface Claimed {
  id: number;
  attempts: number;
  url: string;
  secret: string;
  event_type: string;
  payload: unknown;
}

export async function deliverDue(
  knex: Knex,
  now: Date,
  opts: DeliveryOptions,
  limit = 50,
): Promise<{ delivered: number; failed: number }> {
  const claimed = (
    await knex.raw(
      `UPDATE webhook_deliveries d SET attempts = d.attempts + 1, next_attempt_at = ?
       FROM webhook_subscriptions s, outbox o
       WHERE d.id IN (SELECT id FROM webhook_deliveries WHERE status = 'pending' AND next_attempt_at <= ?
                      ORDER BY next_attempt_at LIMIT ? FOR UPDATE SKIP LOCKED)
         AND s.id = d.subscription_id AND o.id = d.outbox_id
       RETURNING d.id, d.attempts, s.url, s.secret, o.event_type, o.payload`,
      [new Date(now.getTime() + LEASE_MS), now, limit],
    )
  ).rows as Claimed[];
  let delivered = 0;
  let failed = 0;
  const doFetch = opts.fetch ?? fetch;
  for (const d of claimed) {
    const body = JSON.stringify(d.payload);
    const timestamp = String(Math.floor(now.getTime() / 1000));
    let status: number | null = null;
    let error: string | null = null;
    try {
      const res = await doFetch(d.url, {
        method: 'POST',
        headers: {
          'Content-Type': 'application/json',
          'User-Agent': 'open311-server-webhooks',
          'X-Open311-Event': d.event_type,
          'X-Open311-Delivery': String(d.id),
          'X-Open311-Timestamp': timestamp,
          'X-Open311-Signature': sign(d.secret, timestamp, body),
        },
        body,
        redirect: 'manual',
        signal: AbortSignal.timeout(opts.timeoutMs ?? 10_000),
      });
      status = res.status;
      if (res.status < 200 || res.status >= 300) error = `HTTP ${res.status}`;
      await res.body?.cancel();
    } catch (err) {
      error = (err as Error).message.slice(0, 500);
    }
    if (error === null) {
      delivered += 1;
      await knex('webhook_deliveries')
        .where('id', d.id)
        .update({ status: 'delivered', delivered_at: now, last_status_code: status, last_error: null });
    } else {
      failed += 1;
      const dead = d.attempts >= opts.maxAttempts;
      await knex('webhook_deliveries')
        .where('id', d.id)
        .update({
          status: dead ? 'dead' : 'pending',
          last_status_code: status,
          last_error: error,
          next_attempt_at: new Date(now.getTime() + backoffMs(d.attempts)),
        });
    }
  }
  return { delivered, failed };
}
