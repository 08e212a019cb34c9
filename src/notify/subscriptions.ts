/**
 * Webhook subscriptions (table webhook_subscriptions) and their delivery log as the admin API reads
 * them. The worker's fan-out and delivery are in webhooks.ts.
 */
import type { Knex } from 'knex';
import type { EventType } from './outbox';
import { CLAIM_LEASE_MS } from './webhooks';

export interface Subscription {
  id: string;
  jurisdiction_id: string;
  url: string;
  event_types: string[];
  service_code: string | null;
  agency_code: string | null;
  active: boolean;
  created_at: string;
}

export interface NewSubscription {
  jurisdictionId: string;
  url: string;
  secret: string;
  eventTypes: readonly EventType[];
  serviceCode: string | null;
  agencyCode: string | null;
}

interface SubscriptionRow {
  id: number;
  jurisdiction_id: string;
  url: string;
  event_types: string[];
  service_code: string | null;
  agency_code: string | null;
  active: boolean;
  created_at: Date;
}

const COLUMNS = [
  'id',
  'jurisdiction_id',
  'url',
  'event_types',
  'service_code',
  'agency_code',
  'active',
  'created_at',
];

/** A URL as the API shows it: a password in it (`https://user:pass@host/`) is masked as `***`. */
export function maskedUrl(url: string): string {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return url;
  }
  if (!u.password) return url;
  u.password = '***';
  return u.toString();
}

const toSubscription = (s: SubscriptionRow): Subscription => ({
  id: String(s.id),
  jurisdiction_id: s.jurisdiction_id,
  url: maskedUrl(s.url),
  event_types: s.event_types,
  service_code: s.service_code,
  agency_code: s.agency_code,
  active: s.active,
  created_at: s.created_at.toISOString(),
});

export async function createSubscription(
  knex: Knex,
  input: NewSubscription,
  now: Date,
): Promise<Subscription> {
  const [row] = (await knex('webhook_subscriptions')
    .insert({
      jurisdiction_id: input.jurisdictionId,
      url: input.url,
      secret: input.secret,
      event_types: input.eventTypes,
      service_code: input.serviceCode,
      agency_code: input.agencyCode,
      created_at: now,
    })
    .returning(COLUMNS)) as SubscriptionRow[];
  return toSubscription(row as SubscriptionRow);
}

/** `scope` narrows every call to one jurisdiction's subscriptions (a bound key); null reads them all. */
type Scope = string | null;
const scoped = (q: Knex.QueryBuilder, scope: Scope) =>
  scope === null ? q : q.where('jurisdiction_id', scope);

export async function listSubscriptions(knex: Knex, scope: Scope = null): Promise<Subscription[]> {
  const rows = (await scoped(knex('webhook_subscriptions').select(COLUMNS), scope).orderBy(
    'id',
  )) as SubscriptionRow[];
  return rows.map(toSubscription);
}

const validId = (id: string): number | null => {
  const n = Number(id);
  return Number.isSafeInteger(n) ? n : null;
};

/**
 * Stops deliveries to an active subscription; false when there is none by that id. In the same
 * transaction its pending deliveries are cancelled: never attempted again. One being sent at this moment
 * may finish (and is then logged as delivered).
 */
export async function deactivateSubscription(knex: Knex, id: string, scope: Scope = null): Promise<boolean> {
  const n = validId(id);
  if (n === null) return false;
  return knex.transaction(async (trx) => {
    const q = scoped(trx('webhook_subscriptions').where({ id: n, active: true }), scope);
    if ((await q.update({ active: false })) === 0) return false;
    // After the subscription's row: a fan-out that was reading it has committed by now (FOR SHARE).
    await trx('webhook_deliveries')
      .where({ subscription_id: n, status: 'pending' })
      .update({ status: 'cancelled' });
    return true;
  });
}

export interface DeliveryView {
  id: string;
  event_type: string;
  service_request_id: string | null;
  /** pending, delivered, dead (its attempts used up) or cancelled (the subscription was deleted). */
  status: string;
  attempts: number;
  next_attempt_at: string | null;
  last_status_code: number | null;
  last_error: string | null;
  delivered_at: string | null;
}

const DELIVERY_COLUMNS = [
  'd.id',
  'o.event_type',
  'o.request_id',
  'd.status',
  'd.attempts',
  'd.next_attempt_at',
  'd.last_status_code',
  'd.last_error',
  'd.delivered_at',
];

interface DeliveryRow {
  id: number;
  event_type: string;
  request_id: number | string | null;
  status: string;
  attempts: number;
  next_attempt_at: Date;
  last_status_code: number | null;
  last_error: string | null;
  delivered_at: Date | null;
}

const toDeliveryView = (d: DeliveryRow): DeliveryView => ({
  id: String(d.id),
  event_type: d.event_type,
  service_request_id: d.request_id === null ? null : String(d.request_id),
  status: d.status,
  attempts: d.attempts,
  next_attempt_at: d.status === 'pending' ? d.next_attempt_at.toISOString() : null,
  last_status_code: d.last_status_code,
  last_error: d.last_error,
  delivered_at: d.delivered_at ? d.delivered_at.toISOString() : null,
});

const deliveriesOf = (knex: Knex, subscriptionId: number) =>
  knex('webhook_deliveries as d')
    .join('outbox as o', 'o.id', 'd.outbox_id')
    .where('d.subscription_id', subscriptionId)
    .select(DELIVERY_COLUMNS);

/** The latest 500 deliveries of a subscription, newest first; null when there is no such subscription. */
export async function listDeliveries(
  knex: Knex,
  id: string,
  scope: Scope = null,
): Promise<DeliveryView[] | null> {
  const n = validId(id);
  if (n === null || !(await scoped(knex('webhook_subscriptions').where({ id: n }), scope).first('id')))
    return null;
  const rows = (await deliveriesOf(knex, n).orderBy('d.id', 'desc').limit(500)) as DeliveryRow[];
  return rows.map(toDeliveryView);
}

/** A subscription's jurisdiction (its time zone reads a time without an offset); null when not found. */
export async function subscriptionJurisdiction(
  knex: Knex,
  id: string,
  scope: Scope = null,
): Promise<string | null> {
  const n = validId(id);
  if (n === null) return null;
  const row = (await scoped(knex('webhook_subscriptions').where({ id: n }), scope).first(
    'jurisdiction_id',
  )) as { jurisdiction_id: string } | undefined;
  return row?.jurisdiction_id ?? null;
}

export interface RetryOptions {
  /** Also put its dead deliveries back to pending, their attempts reset (the whole retry schedule again). */
  dead: boolean;
  /** With `dead`: only those of events written at or after this time. */
  since: Date | null;
}

export interface RetryResult {
  subscription_id: string;
  /** Always true: the subscription is no longer backed off (failures 0, no pause). */
  resumed: true;
  /** Whether it was backed off when asked (failures in a row, or a pause not over yet). */
  was_paused: boolean;
  /** Its pending deliveries due now (not counting the dead ones requeued). */
  pending_due_now: number;
  dead_requeued: number;
}

/** Why a retry was refused: no such subscription (or out of the key's reach), or a deleted one. */
export type RetryRefusal = 'not found' | 'inactive';

/** A delivery that cannot be sent again, and why (a 409). */
export interface NotRetried {
  conflict: string;
}

/** Thrown inside a retry's transaction to undo it and answer `value` instead. */
class Undo extends Error {
  constructor(readonly value: RetryRefusal | NotRetried) {
    super('undone');
  }
}

/**
 * One transaction on an active subscription: its row is locked first (FOR UPDATE, as a delete locks it
 * before cancelling its deliveries, so the two never wait on each other in a cycle), then `work` writes
 * the deliveries (it throws `Undo` to refuse and write nothing), then the back-off ends. A pending
 * delivery the worker holds is never waited for: `dueNow` and `requeue` do not match one being sent.
 */
async function onActiveSubscription<T>(
  knex: Knex,
  n: number,
  scope: Scope,
  now: Date,
  work: (trx: Knex.Transaction, paused: boolean) => Promise<T>,
): Promise<T | RetryRefusal | NotRetried> {
  try {
    return await knex.transaction(async (trx) => {
      const sub = (await scoped(trx('webhook_subscriptions').where({ id: n }), scope)
        .forUpdate()
        .first('active', 'failures', 'paused_until')) as
        { active: boolean; failures: number; paused_until: Date | null } | undefined;
      if (!sub) throw new Undo('not found');
      if (!sub.active) throw new Undo('inactive');
      const paused = sub.failures > 0 || (sub.paused_until !== null && sub.paused_until > now);
      const result = await work(trx, paused);
      const resumed = await trx('webhook_subscriptions')
        .where({ id: n, active: true })
        .update({ failures: 0, paused_until: null });
      if (resumed === 0) throw new Undo('inactive');
      return result;
    });
  } catch (err) {
    if (err instanceof Undo) return err.value;
    throw err;
  }
}

/**
 * A pending delivery made due now, unless its next attempt is already within a claim's lease: it may be
 * being sent at this moment (a second claim would send it twice), and it is due within the lease anyway.
 */
const dueNow = (q: Knex.QueryBuilder, now: Date) =>
  q
    .where('status', 'pending')
    .where('next_attempt_at', '>', new Date(now.getTime() + CLAIM_LEASE_MS))
    .update({ next_attempt_at: now });

/** A dead delivery back to pending, due now, its attempts reset so it gets the whole retry schedule again. */
const requeue = (q: Knex.QueryBuilder, now: Date) =>
  q.where('status', 'dead').update({ status: 'pending', attempts: 0, next_attempt_at: now });

/**
 * An operator's "the receiver is back, send now" (`POST /admin/v1/webhooks/{id}/retry`): the subscription's
 * back-off ends (failures 0, no pause) and its pending deliveries are due now; with `dead`, its dead
 * deliveries (those of events since `since`) are pending again with their attempts reset. Delivered and
 * cancelled deliveries are never touched; a deleted subscription is refused ('inactive').
 */
export async function retrySubscription(
  knex: Knex,
  id: string,
  opts: RetryOptions,
  now: Date,
  scope: Scope = null,
): Promise<RetryResult | RetryRefusal> {
  const n = validId(id);
  if (n === null) return 'not found';
  // Its work refuses nothing: the answer is a result, or the subscription's refusal.
  return onActiveSubscription(knex, n, scope, now, async (trx, paused) => {
    await dueNow(trx('webhook_deliveries').where('subscription_id', n), now);
    const due = (await trx('webhook_deliveries')
      .where({ subscription_id: n, status: 'pending' })
      .where('next_attempt_at', '<=', now)
      .first(trx.raw('count(*)::int AS n'))) as { n: number };
    let dead = 0;
    if (opts.dead) {
      const q = trx('webhook_deliveries').where('subscription_id', n);
      if (opts.since)
        q.whereIn('outbox_id', trx('outbox').select('id').where('created_at', '>=', opts.since));
      dead = await requeue(q, now);
    }
    return {
      subscription_id: String(n),
      resumed: true as const,
      was_paused: paused,
      pending_due_now: due.n,
      dead_requeued: dead,
    };
  }) as Promise<RetryResult | RetryRefusal>;
}

/**
 * An operator's redeliver of one delivery (`POST /admin/v1/webhooks/{id}/deliveries/{deliveryId}/retry`): a
 * dead one is pending again with its attempts reset, a pending one due now; the subscription's back-off
 * ends as for `retrySubscription`, so the worker's next pass sends it. A delivered one is not sent again
 * (the receiver has it: the log stays one row per delivery, delivered once).
 */
export async function retryDelivery(
  knex: Knex,
  id: string,
  deliveryId: string,
  now: Date,
  scope: Scope = null,
): Promise<DeliveryView | RetryRefusal | NotRetried> {
  const n = validId(id);
  const dn = validId(deliveryId);
  if (n === null || dn === null) return 'not found';
  return onActiveSubscription(knex, n, scope, now, async (trx) => {
    const one = () => trx('webhook_deliveries').where({ id: dn, subscription_id: n });
    const d = (await one().first('status', 'delivered_at', 'last_status_code')) as
      { status: string; delivered_at: Date | null; last_status_code: number | null } | undefined;
    if (!d) throw new Undo('not found');
    if (d.status === 'delivered')
      throw new Undo({
        conflict: `Delivery ${dn} was delivered${d.delivered_at ? ` at ${d.delivered_at.toISOString()}` : ''} (the receiver answered ${d.last_status_code ?? '2xx'}): it is not sent again.`,
      });
    if (d.status === 'cancelled')
      throw new Undo({
        conflict: `Delivery ${dn} was cancelled when its subscription was deleted: it is not sent again.`,
      });
    if (d.status === 'dead') await requeue(one(), now);
    else await dueNow(one(), now);
    return toDeliveryView((await deliveriesOf(trx, n).where('d.id', dn).first()) as DeliveryRow);
  });
}
