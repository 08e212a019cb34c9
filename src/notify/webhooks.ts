/**
 * Webhook delivery from the outbox: fan each event out to the matching subscriptions, then deliver with
 * an HMAC-SHA256 signature, exponential back-off and a dead-letter state. A delivery is claimed by moving
 * its next attempt past a lease in one atomic UPDATE (FOR UPDATE SKIP LOCKED), so no transaction is held
 * open while the receiver answers and two workers never send the same attempt.
 *
 * Fairness (probe finding M6): a receiver that fails is backed off as a whole, not delivery by delivery.
 * Its subscription counts failures in a row and is paused for the retry schedule's step (30 s, 1 min,
 * 2 min ... 6 h); once the pause is over, one delivery is tried (a probe, the only one in flight for it)
 * and a success resumes the rest. Claims go by due time across subscriptions, at most `perSubscription`
 * per subscription in one pass while others have deliveries due, and at most half the lanes for one
 * subscription at once, so a dead, slow or flooded receiver never holds up the others. An operator's
 * retry (subscriptions.ts `retrySubscription`, `retryDelivery`) ends a subscription's back-off (failures 0,
 * no pause): its next claims are ordinary ones again, not probes.
 */
import crypto from 'node:crypto';
import type { Knex } from 'knex';
import { PrivateAddressError } from '../core';

const BASE_BACKOFF_MS = 30_000;
const MAX_BACKOFF_MS = 6 * 3_600_000;
/** How long the worker waits for a receiver's answer by default (DeliveryOptions.timeoutMs). */
const DEFAULT_TIMEOUT_MS = 10_000;
/**
 * A claim's lease with the default timeout: a pending delivery whose next attempt is at most this far
 * ahead may be being sent at this moment (its claim moved it there), so an operator's retry leaves it be.
 */
export const CLAIM_LEASE_MS = 2 * DEFAULT_TIMEOUT_MS;

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
      // FOR SHARE: a subscription being deleted at this moment is read after its delete commits (and
      // left out), so no pending delivery is made for it after its others were cancelled.
      await trx.raw(
        `INSERT INTO webhook_deliveries (subscription_id, outbox_id, next_attempt_at)
         SELECT id, ?, ? FROM webhook_subscriptions
         WHERE active AND jurisdiction_id = ? AND ? = ANY(event_types)
           AND (service_code IS NULL OR service_code = ?) AND (agency_code IS NULL OR agency_code = ?)
         FOR SHARE
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
  subscription_id: number;
  /** The subscription's failures in a row when this delivery was claimed. */
  failures: number;
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
  /**
   * Deliveries sent to one subscription per call while other subscriptions have deliveries due, so one
   * receiver's backlog cannot fill a tick; with nothing else due it may take the rest of the pass.
   */
  perSubscription?: number;
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
  const timeoutMs = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const limit = opts.limit ?? 50;
  const concurrency = Math.max(1, opts.concurrency ?? 8);
  const perSubscription = Math.max(1, opts.perSubscription ?? 10);
  // One subscription never takes every lane: a slow receiver leaves room for the others.
  const lanesPerSubscription = Math.max(1, Math.floor(concurrency / 2));
  const totals = { delivered: 0, failed: 0 };
  const sent = new Map<number, number>();
  const inFlight = new Map<number, number>();
  const bump = (m: Map<number, number>, id: number, by: number) => m.set(id, (m.get(id) ?? 0) + by);
  const over = (m: Map<number, number>, max: number) => [...m].filter(([, n]) => n >= max).map(([id]) => id);
  /** Another subscription's due delivery first; one over its share of the pass only when none waits. */
  const claimFair = async () => {
    const busy = over(inFlight, lanesPerSubscription);
    const served = over(sent, perSubscription);
    const claim = await claimOne(knex, clock(), 2 * timeoutMs, [...busy, ...served]);
    if (claim !== 'none' || served.length === 0) return claim;
    return claimOne(knex, clock(), 2 * timeoutMs, busy);
  };
  let claims = 0;
  // Lanes claim one at a time (a claim is one short statement; sends run in parallel), so each claim
  // knows what the others hold and the per-subscription bounds hold from the first claims of a pass.
  let claiming: Promise<unknown> = Promise.resolve();
  const claimNext = () => {
    const next = claiming.then(claimFair);
    claiming = next.then(
      (c) => {
        if (typeof c === 'object') {
          bump(sent, c.subscription_id, 1);
          bump(inFlight, c.subscription_id, 1);
        }
      },
      () => undefined,
    );
    return next;
  };
  const lane = async () => {
    while (claims < limit && !opts.stopping?.()) {
      claims += 1;
      const claim = await claimNext();
      if (typeof claim !== 'object') claims -= 1; // nothing sent
      if (claim === 'none') return;
      if (claim === 'lost') continue; // another lane or worker probes that subscription: try the next
      const d = claim;
      try {
        const outcome = await send(d, clock, opts.fetch ?? fetch, timeoutMs);
        await record(knex, d, outcome, clock(), opts.maxAttempts);
        totals[outcome.error === null ? 'delivered' : 'failed'] += 1;
      } finally {
        bump(inFlight, d.subscription_id, -1);
      }
    }
  };
  await Promise.all(Array.from({ length: concurrency }, lane));
  return totals;
}

/**
 * Claims the due delivery that has waited longest among the subscriptions that are active, not backed off
 * and not in `skip`: each candidate subscription's earliest due delivery (the per-subscription index), the
 * earliest of those. The claim moves its next attempt past the lease. For a subscription that has been
 * failing, the claim is its probe: it also pauses the subscription for the lease, so no other lane or
 * worker sends to that receiver until this attempt's outcome is written ('lost' when another got there
 * first). 'none' when nothing is due.
 */
async function claimOne(
  knex: Knex,
  now: Date,
  leaseMs: number,
  skip: number[],
): Promise<Claimed | 'none' | 'lost'> {
  const lease = new Date(now.getTime() + leaseMs);
  const { rows } = (await knex.raw(
    `WITH cand AS (
       SELECT d.id, s.id AS subscription_id, s.failures
       FROM webhook_subscriptions s
       CROSS JOIN LATERAL (
         SELECT id, next_attempt_at FROM webhook_deliveries
         WHERE subscription_id = s.id AND status = 'pending' AND next_attempt_at <= ?
         ORDER BY next_attempt_at, id LIMIT 1 FOR UPDATE SKIP LOCKED) d
       WHERE s.active AND (s.paused_until IS NULL OR s.paused_until <= ?) AND s.id <> ALL(?::bigint[])
       ORDER BY d.next_attempt_at, d.id LIMIT 1
     ), probe AS (
       UPDATE webhook_subscriptions s SET paused_until = ?
       FROM cand
       WHERE s.id = cand.subscription_id AND cand.failures > 0
         AND s.active AND (s.paused_until IS NULL OR s.paused_until <= ?)
       RETURNING s.id
     ), claimed AS (
       UPDATE webhook_deliveries d SET attempts = d.attempts + 1, next_attempt_at = ?
       FROM cand
       WHERE d.id = cand.id AND (cand.failures = 0 OR EXISTS (SELECT 1 FROM probe))
       RETURNING d.id, d.attempts, d.outbox_id
     )
     SELECT c.id, c.attempts, cand.subscription_id, cand.failures, s.url, s.secret, o.event_type, o.payload
     FROM cand
     LEFT JOIN claimed c ON c.id = cand.id
     LEFT JOIN webhook_subscriptions s ON s.id = cand.subscription_id
     LEFT JOIN outbox o ON o.id = c.outbox_id`,
    [now, now, `{${skip.join(',')}}`, lease, now, lease],
  )) as { rows: Array<Omit<Claimed, 'id'> & { id: number | null }> };
  const row = rows[0];
  if (!row) return 'none';
  if (row.id === null) return 'lost';
  return { ...row, id: Number(row.id), subscription_id: Number(row.subscription_id) } as Claimed;
}

interface Outcome {
  status: number | null;
  error: string | null;
}

/**
 * The URL to send to and its headers: credentials in the URL (`https://user:pass@host/`, which fetch
 * refuses) are sent as HTTP Basic authorization instead.
 */
function target(raw: string): { url: string; authorization?: string } {
  const u = new URL(raw);
  if (!u.username && !u.password) return { url: raw };
  const user = decodeURIComponent(u.username);
  const pass = decodeURIComponent(u.password);
  u.username = '';
  u.password = '';
  return { url: u.toString(), authorization: `Basic ${Buffer.from(`${user}:${pass}`).toString('base64')}` };
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
    const { url, authorization } = target(d.url);
    const res = await doFetch(url, {
      method: 'POST',
      headers: {
        'Content-Type': 'application/json',
        'User-Agent': 'open311-server-webhooks',
        'X-Open311-Event': d.event_type,
        'X-Open311-Delivery': String(d.id),
        'X-Open311-Timestamp': timestamp,
        'X-Open311-Signature': sign(d.secret, timestamp, body),
        ...(authorization ? { Authorization: authorization } : {}),
      },
      body,
      redirect: 'manual',
      signal: AbortSignal.timeout(timeoutMs),
    });
    await res.body?.cancel();
    return { status: res.status, error: res.status >= 200 && res.status < 300 ? null : `HTTP ${res.status}` };
  } catch (err) {
    return { status: null, error: describeError(err, d, timeoutMs) };
  }
}

/** What a network error means, in words: errno codes as Node names them. */
const CAUSES: Record<string, string> = {
  ECONNREFUSED: 'connection refused',
  ECONNRESET: 'connection reset by the receiver',
  EHOSTUNREACH: 'host unreachable',
  ENETUNREACH: 'network unreachable',
  ENOTFOUND: 'DNS: no such host',
  EAI_AGAIN: 'DNS: lookup failed (temporary)',
  EPIPE: 'connection closed while sending',
  ETIMEDOUT: 'connect timeout',
  UND_ERR_CONNECT_TIMEOUT: 'connect timeout',
  UND_ERR_SOCKET: 'connection closed by the receiver',
  UND_ERR_HEADERS_TIMEOUT: 'timeout: no response headers',
  UND_ERR_BODY_TIMEOUT: 'timeout: the response body stalled',
};

/**
 * The delivery log's `last_error` for a failed send: a block by the outbound guard says "blocked: ...",
 * a timeout says so, a network error names its cause (the errno code and the host), never the URL's
 * credentials nor the secret. fetch hides the cause behind "fetch failed": it is read from `cause`.
 */
export function describeError(err: unknown, d: Pick<Claimed, 'url' | 'secret'>, timeoutMs: number): string {
  const chain: unknown[] = [];
  for (let e = err; e && chain.length < 5; e = (e as { cause?: unknown }).cause) chain.push(e);
  const blocked = chain.find((e) => e instanceof PrivateAddressError);
  if (blocked) return scrub(`blocked: ${(blocked as Error).message}`, d);
  if (chain.some((e) => (e as Error).name === 'TimeoutError'))
    return `timeout: no answer within ${timeoutMs} ms`;
  const coded = chain.find((e) => typeof (e as { code?: unknown }).code === 'string') as
    (Error & { code: string; hostname?: string; address?: string; port?: number }) | undefined;
  if (coded && !(coded instanceof PrivateAddressError)) {
    const where = coded.address
      ? ` (${coded.address}${coded.port ? `:${coded.port}` : ''})`
      : coded.hostname
        ? ` (${coded.hostname})`
        : '';
    const meaning =
      CAUSES[coded.code] ?? (coded.code.startsWith('ERR_TLS') || /CERT/.test(coded.code) ? 'TLS' : '');
    return scrub(`${coded.code}: ${meaning || coded.message}${where}`, d).slice(0, 500);
  }
  const last = chain[chain.length - 1] as Error | undefined;
  return scrub(last?.message || String(err), d).slice(0, 500);
}

/** Takes the subscription's secret and its URL's password out of a text. */
function scrub(text: string, d: Pick<Claimed, 'url' | 'secret'>): string {
  let out = text;
  const secrets = [d.secret];
  try {
    const u = new URL(d.url);
    if (u.password) secrets.push(u.password, decodeURIComponent(u.password));
  } catch {
    // not a URL: nothing more to take out
  }
  for (const s of secrets) if (s) out = out.split(s).join('***');
  return out;
}

/**
 * Writes the attempt's outcome, only while the claim is still this one (same attempt, still pending; or
 * cancelled by a delete while it was being sent, which stays cancelled unless it was delivered), and the
 * subscription's health: a success resumes it, a failure backs it off for the retry schedule's next step.
 * Failures of attempts claimed together count once.
 */
async function record(knex: Knex, d: Claimed, o: Outcome, now: Date, maxAttempts: number): Promise<void> {
  await knex.transaction(async (trx) => {
    const mine = () =>
      trx('webhook_deliveries')
        .where({ id: d.id, attempts: d.attempts })
        .whereIn('status', ['pending', 'cancelled']);
    const subscription = trx('webhook_subscriptions').where({ id: d.subscription_id });
    if (o.error === null) {
      await mine().update({
        status: 'delivered',
        delivered_at: now,
        last_status_code: o.status,
        last_error: null,
      });
      await subscription
        .where((q) => q.where('failures', '>', 0).orWhereNotNull('paused_until'))
        .update({ failures: 0, paused_until: null });
      return;
    }
    await mine().update({
      status: trx.raw(
        `CASE WHEN status = 'cancelled' THEN 'cancelled' WHEN ? THEN 'dead' ELSE 'pending' END`,
        [d.attempts >= maxAttempts],
      ),
      last_status_code: o.status,
      last_error: o.error,
      next_attempt_at: new Date(now.getTime() + backoffMs(d.attempts)),
    });
    const failures = d.failures + 1;
    await subscription.update({
      failures: trx.raw('GREATEST(failures, ?)', [failures]),
      paused_until: trx.raw('GREATEST(COALESCE(paused_until, ?), ?)', [
        now,
        new Date(now.getTime() + backoffMs(failures)),
      ]),
    });
  });
}
