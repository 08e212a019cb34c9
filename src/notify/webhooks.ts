/**
 * Webhook delivery from the outbox: fan each event out to the matching subscriptions, then deliver with
 * an HMAC-SHA256 signature, exponential back-off and a dead-letter state. A delivery is claimed by moving
 * its next attempt past a lease in one atomic UPDATE (FOR UPDATE SKIP LOCKED), so no transaction is held
 * open while the receiver answers and two workers never send the same attempt.
 */
import crypto from 'node:crypto';
import type { Knex } from 'knex';

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

export interface DeliveryOptions {
  maxAttempts: number;
  fetch?: typeof fetch;
  /** A receiver that has not answered in this long has failed this attempt. */
  timeoutMs?: number;
  /** Deliveries in flight at once, per worker. */
  concurrency?: number;
  /** Deliveries sent per call at most (one tick), so a backlog cannot hold a tick for long. */
  limit?: number;
  /** True once the process is shutting down: lanes finish what they hold and claim nothing more. */
  stopping?: () => boolean;
}

/**
 * Sends due deliveries, at most `concurrency` at a time. Each delivery is claimed on its own just before
 * it is sent, with a lease of twice the send timeout counted from that moment, so the lease cannot run
 * out while the receiver is still answering and another worker never sends it again (issue #15.5).
 * The signature is over the time of sending; `X-Open311-Delivery` is the delivery's id, the same on
 * every retry, so a receiver can de-duplicate.
 */
export async function deliverDue(
  knex: Knex,
  clock: () => Date,
  opts: DeliveryOptions,
): Promise<{ delivered: number; failed: number }> {
  const timeoutMs = opts.timeoutMs ?? 10_000;
  const limit = opts.limit ?? 50;
  const totals = { delivered: 0, failed: 0 };
  let claims = 0;
  const lane = async () => {
    while (claims < limit && !opts.stopping?.()) {
      claims += 1;
      const d = await claimOne(knex, clock(), 2 * timeoutMs);
      if (!d) return;
      const outcome = await send(d, clock, opts.fetch ?? fetch, timeoutMs);
      await record(knex, d, outcome, clock(), opts.maxAttempts);
      totals[outcome.error === null ? 'delivered' : 'failed'] += 1;
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, opts.concurrency ?? 8) }, lane));
  return totals;
}

/** Claims the next due delivery: one atomic UPDATE moving its next attempt past the lease. */
async function claimOne(knex: Knex, now: Date, leaseMs: number): Promise<Claimed | undefined> {
  const { rows } = (await knex.raw(
    `UPDATE webhook_deliveries d SET attempts = d.attempts + 1, next_attempt_at = ?
     FROM webhook_subscriptions s, outbox o
     WHERE d.id = (SELECT id FROM webhook_deliveries WHERE status = 'pending' AND next_attempt_at <= ?
                   ORDER BY next_attempt_at, id LIMIT 1 FOR UPDATE SKIP LOCKED)
       AND s.id = d.subscription_id AND o.id = d.outbox_id
     RETURNING d.id, d.attempts, s.url, s.secret, o.event_type, o.payload`,
    [new Date(now.getTime() + leaseMs), now],
  )) as { rows: Claimed[] };
  return rows[0];
}

interface Outcome {
  status: number | null;
  error: string | null;
}

async function send(
  d: Claimed,
  clock: () => Date,
  doFetch: typeof fetch,
  timeoutMs: number,
): Promise<Outcome> {
  const body = JSON.stringify(d.payload);
  const timestamp = String(Math.floor(clock().getTime() / 1000));
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
      signal: AbortSignal.timeout(timeoutMs),
    });
    await res.body?.cancel();
    return { status: res.status, error: res.status >= 200 && res.status < 300 ? null : `HTTP ${res.status}` };
  } catch (err) {
    return { status: null, error: (err as Error).message.slice(0, 500) };
  }
}

/** Writes the attempt's outcome, only while the claim is still this one (same attempt, still pending). */
async function record(knex: Knex, d: Claimed, o: Outcome, now: Date, maxAttempts: number): Promise<void> {
  const mine = knex('webhook_deliveries').where({ id: d.id, attempts: d.attempts, status: 'pending' });
  if (o.error === null) {
    await mine.update({
      status: 'delivered',
      delivered_at: now,
      last_status_code: o.status,
      last_error: null,
    });
    return;
  }
  await mine.update({
    status: d.attempts >= maxAttempts ? 'dead' : 'pending',
    last_status_code: o.status,
    last_error: o.error,
    next_attempt_at: new Date(now.getTime() + backoffMs(d.attempts)),
  });
}
