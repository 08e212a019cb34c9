import crypto from 'node:crypto';
import { Router } from 'express';
import type { AppContext } from '../context';
import { boundJurisdictionOf, resolveJurisdictionFor } from '../http';
import { checker, isPrivateLiteralHost, notFound, Problems } from '../core';
import { resolveScopeCodes } from '../escalation';
import { EVENT_TYPES, type EventType } from '../notify';
import { createSubscription, deactivateSubscription, listDeliveries, listSubscriptions } from '../notify';

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
        eventTypes: b.event_types ?? EVENT_TYPES,
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
  return router;
}
