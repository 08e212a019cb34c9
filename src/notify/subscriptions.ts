/**
 * Webhook subscriptions (table webhook_subscriptions) and their delivery log as the admin API reads
 * them. The worker's fan-out and delivery are in webhooks.ts.
 */
import type { Knex } from 'knex';
import type { EventType } from './outbox';

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

/** The latest 500 deliveries of a subscription, newest first; null when there is no such subscription. */
export async function listDeliveries(
  knex: Knex,
  id: string,
  scope: Scope = null,
): Promise<DeliveryView[] | null> {
  const n = validId(id);
  if (n === null || !(await scoped(knex('webhook_subscriptions').where({ id: n }), scope).first('id')))
    return null;
  const rows = await knex('webhook_deliveries as d')
    .join('outbox as o', 'o.id', 'd.outbox_id')
    .where('d.subscription_id', n)
    .orderBy('d.id', 'desc')
    .limit(500)
    .select(
      'd.id',
      'o.event_type',
      'o.request_id',
      'd.status',
      'd.attempts',
      'd.next_attempt_at',
      'd.last_status_code',
      'd.last_error',
      'd.delivered_at',
    );
  return rows.map((d) => ({
    id: String(d.id),
    event_type: d.event_type,
    service_request_id: d.request_id === null ? null : String(d.request_id),
    status: d.status,
    attempts: d.attempts,
    next_attempt_at: d.status === 'pending' ? (d.next_attempt_at as Date).toISOString() : null,
    last_status_code: d.last_status_code,
    last_error: d.last_error,
    delivered_at: d.delivered_at ? (d.delivered_at as Date).toISOString() : null,
  }));
}
