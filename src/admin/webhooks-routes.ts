import crypto from 'node:crypto';
import { Router } from 'express';
import type { AppContext } from '../context';
import { boundJurisdictionOf, flag, resolveJurisdictionFor, scalar, shapeProblems } from '../http';
import {
  AppError,
  checker,
  fieldsOnly,
  isPrivateLiteralHost,
  notFound,
  parseDateTime,
  Problems,
  quoted,
} from '../core';
import { resolveScopeCodes } from '../escalation';
import { EVENT_TYPES, type EventType } from '../notify';
import {
  createSubscription,
  deactivateSubscription,
  listDeliveries,
  listSubscriptions,
  retryDelivery,
  retrySubscription,
  subscriptionJurisdiction,
} from '../notify';
import { adminActor } from './actor';

const EVENTS_PROBLEM = `event_types must be among ${EVENT_TYPES.join(', ')}.`;
const optionalCode = { type: ['string', 'null'], maxLength: 100 } as const;

export const webhookInputSchema = {
  $id: 'admin/webhook-subscription',
  type: 'object',
  additionalProperties: false,
  required: ['url'],
  properties: {
    api_key: { type: 'string' },
    jurisdiction_id: { type: 'string' },
    url: { type: 'string', maxLength: 2000, 'x-problem': '{field} must be an http or https URL.' },
    secret: {
      type: 'string',
      minLength: 16,
      maxLength: 256,
      'x-problem': '{field} must be 16 to 256 characters (or omitted to have one generated).',
    },
    event_types: {
      type: 'array',
      minItems: 1,
      items: { type: 'string', enum: EVENT_TYPES, 'x-problem': EVENTS_PROBLEM },
      'x-problem': EVENTS_PROBLEM,
    },
    service_code: optionalCode,
    agency_code: optionalCode,
  },
} as const;

interface WebhookInput {
  jurisdiction_id?: string;
  url: string;
  secret?: string;
  event_types?: EventType[];
  service_code?: string | null;
  agency_code?: string | null;
}

const webhookCheck = checker<WebhookInput>(webhookInputSchema);
/** The retry's options may come in a JSON body as well as in the query (the query wins). */
const retryFields = fieldsOnly('admin/webhook-retry', ['dead', 'since']);
const deliveryRetryFields = fieldsOnly('admin/webhook-delivery-retry', []);
const missing = (id: unknown) => notFound(`Webhook subscription ${quoted(String(id))} was not found.`);
const deleted = (id: unknown) =>
  new AppError(
    409,
    `Webhook subscription ${quoted(String(id))} was deleted: its deliveries were cancelled and are not sent again (subscribe again to receive new events).`,
  );

const parsedUrl = (url: string): URL | null => {
  try {
    const u = new URL(url);
    return u.protocol === 'http:' || u.protocol === 'https:' ? u : null;
  } catch {
    return null;
  }
};

/** /admin/v1/webhooks: subscriptions (the secret is shown once at creation) and their delivery log. */
export function webhooksRouter(ctx: AppContext): Router {
  const router = Router();

  router.post('/webhooks', async (req, res) => {
    const problems = new Problems();
    for (const p of webhookCheck.problems(req.body)) problems.add(p);
    const b = (req.body ?? {}) as WebhookInput;
    const url = typeof b.url === 'string' ? parsedUrl(b.url) : undefined;
    if (url === null) problems.add('url must be an http or https URL.');
    else if (url && !ctx.config.outboundAllowPrivate && isPrivateLiteralHost(url))
      problems.add(
        'url must be a public address: this server does not send to loopback or private addresses (OUTBOUND_ALLOW_PRIVATE).',
      );
    // Credentials in the URL are sent as HTTP Basic authorization: never in clear over plain http.
    if (url && (url.username || url.password) && url.protocol === 'http:')
      problems.add(
        'url carries credentials (user:password@) over plain http, where they would travel in clear: use https.',
      );
    problems.throwIfAny();
    const j = await resolveJurisdictionFor(ctx, res, b.jurisdiction_id || undefined);
    // A filter naming a service or agency the jurisdiction does not have would never fire.
    await resolveScopeCodes(
      ctx.knex,
      j.id,
      { serviceCode: b.service_code ?? null, agencyCode: b.agency_code ?? null, agencyField: 'agency_code' },
      async (code) => (await ctx.catalog.service(j.id, code))?.id,
      problems,
    );
    problems.throwIfAny();
    const secret = b.secret ?? crypto.randomBytes(24).toString('base64url');
    const subscription = await createSubscription(
      ctx.knex,
      {
        jurisdictionId: j.id,
        url: b.url,
        secret,
        eventTypes: b.event_types ? [...new Set(b.event_types)] : EVENT_TYPES, // each once, as sent
        serviceCode: b.service_code ?? null,
        agencyCode: b.agency_code ?? null,
      },
      ctx.clock(),
    );
    res.status(201).json({ ...subscription, secret });
  });

  // A key bound to a jurisdiction sees and touches only its subscriptions; others are "not found".
  router.get('/webhooks', async (_req, res) => {
    res.json(await listSubscriptions(ctx.knex, boundJurisdictionOf(res)));
  });

  router.delete('/webhooks/:id', async (req, res) => {
    if (!(await deactivateSubscription(ctx.knex, String(req.params.id), boundJurisdictionOf(res))))
      throw notFound(`Webhook subscription ${req.params.id} was not found.`);
    res.status(204).end();
  });

  router.get('/webhooks/:id/deliveries', async (req, res) => {
    const deliveries = await listDeliveries(ctx.knex, String(req.params.id), boundJurisdictionOf(res));
    if (!deliveries) throw notFound(`Webhook subscription ${req.params.id} was not found.`);
    res.json(deliveries);
  });

  // "The receiver is back": its back-off ends and its pending deliveries are due now; with dead=true its
  // dead deliveries (of events since `since`) get the whole retry schedule again. The worker's next pass
  // sends them.
  router.post('/webhooks/:id/retry', async (req, res) => {
    const id = String(req.params.id);
    const body = retryFields.parse(req.body ?? {});
    const query = req.query as Record<string, unknown>;
    const shapes = { dead: 'text', since: 'text' } as const;
    const shape = [...shapeProblems(body, shapes, true), ...shapeProblems(query, shapes, false)];
    if (shape.length > 0) throw new AppError(400, shape);
    const params = { ...body, ...query };
    const dead = flag(params, 'dead');
    const sinceRaw = scalar(params, 'since');
    if (sinceRaw !== undefined && !dead)
      throw new AppError(400, 'since applies to dead deliveries: add dead=true.');
    const scope = boundJurisdictionOf(res);
    const jurisdictionId = await subscriptionJurisdiction(ctx.knex, id, scope);
    if (jurisdictionId === null) throw missing(id);
    let since: Date | null = null;
    if (sinceRaw !== undefined) {
      // Without an offset, a time is read in the subscription's jurisdiction's zone, as everywhere.
      const j = await ctx.catalog.resolveJurisdiction(jurisdictionId);
      since = parseDateTime(sinceRaw, j.timeZone);
      if (!since)
        throw new AppError(
          400,
          `since must be an ISO 8601 date and time, e.g. 2026-11-22T14:03:00-05:00 (got "${quoted(sinceRaw, 40)}").`,
        );
    }
    const result = await retrySubscription(ctx.knex, id, { dead, since }, ctx.clock(), scope);
    if (result === 'not found') throw missing(id);
    if (result === 'inactive') throw deleted(id);
    (req.log ?? ctx.logger).info(
      {
        subscription_id: result.subscription_id,
        jurisdiction_id: jurisdictionId,
        by: adminActor(res).label,
        dead,
        since: since?.toISOString() ?? null,
        was_paused: result.was_paused,
        pending_due_now: result.pending_due_now,
        dead_requeued: result.dead_requeued,
      },
      'webhook subscription retried by an admin',
    );
    res.json(result);
  });

  // One delivery sent again ("redeliver"): a dead one gets the whole retry schedule again, a pending one
  // is due now; the subscription's back-off ends. A delivered one is not sent again (409).
  router.post('/webhooks/:id/deliveries/:delivery_id/retry', async (req, res) => {
    const id = String(req.params.id);
    const deliveryId = String(req.params.delivery_id);
    deliveryRetryFields.parse(req.body ?? {});
    const result = await retryDelivery(ctx.knex, id, deliveryId, ctx.clock(), boundJurisdictionOf(res));
    if (result === 'not found') {
      if ((await subscriptionJurisdiction(ctx.knex, id, boundJurisdictionOf(res))) === null)
        throw missing(id);
      throw notFound(`Delivery ${quoted(deliveryId)} of webhook subscription ${quoted(id)} was not found.`);
    }
    if (result === 'inactive') throw deleted(id);
    if ('conflict' in result) throw new AppError(409, result.conflict);
    (req.log ?? ctx.logger).info(
      { subscription_id: id, delivery_id: result.id, by: adminActor(res).label, attempts: result.attempts },
      'webhook delivery retried by an admin',
    );
    res.json(result);
  });
  return router;
}
