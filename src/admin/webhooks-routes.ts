import crypto from 'node:crypto';
import { Router } from 'express';
import type { AppContext } from '../context';
import { notFound, Problems } from '../core';
import { EVENT_TYPES } from '../notify';

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

const view = (s: SubscriptionRow) => ({
  id: String(s.id),
  jurisdiction_id: s.jurisdiction_id,
  url: s.url,
  event_types: s.event_types,
  service_code: s.service_code,
  agency_code: s.agency_code,
  active: s.active,
  created_at: s.created_at.toISOString(),
});

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

/** /admin/v1/webhooks: subscriptions (the secret is shown once at creation) and their delivery log. */
export function webhooksRouter(ctx: AppContext): Router {
  const router = Router();

  router.post('/webhooks', async (req, res) => {
    const b = (req.body ?? {}) as Record<string, unknown>;
    const problems = new Problems();
    const url = typeof b.url === 'string' ? b.url : '';
    try {
      const u = new URL(url);
      if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new Error();
    } catch {
      problems.add('url must be an http or https URL.');
    }
    const events = Array.isArray(b.event_types) ? b.event_types : EVENT_TYPES;
    const bad = events.filter((e) => !(EVENT_TYPES as readonly unknown[]).includes(e));
    if (bad.length > 0 || events.length === 0)
      problems.add(`event_types must be among ${EVENT_TYPES.join(', ')}.`);
    const secret =
      typeof b.secret === 'string' && b.secret.length >= 16
        ? b.secret
        : b.secret === undefined
          ? crypto.randomBytes(24).toString('base64url')
          : null;
    if (secret === null)
      problems.add('secret must be at least 16 characters (or omitted to have one generated).');
    problems.throwIfAny();
    const j = await ctx.catalog.resolveJurisdiction(
      typeof b.jurisdiction_id === 'string' && b.jurisdiction_id ? b.jurisdiction_id : undefined,
    );
    const [row] = (await ctx
      .knex('webhook_subscriptions')
      .insert({
        jurisdiction_id: j.id,
        url,
        secret,
        event_types: events,
        service_code: typeof b.service_code === 'string' ? b.service_code : null,
        agency_code: typeof b.agency_code === 'string' ? b.agency_code : null,
        created_at: ctx.clock(),
      })
      .returning(COLUMNS)) as SubscriptionRow[];
    res.status(201).json({ ...view(row as SubscriptionRow), secret });
  });

  router.get('/webhooks', async (_req, res) => {
    res.json(
      ((await ctx.knex('webhook_subscriptions').select(COLUMNS).orderBy('id')) as SubscriptionRow[]).map(
        view,
      ),
    );
  });

  router.delete('/webhooks/:id', async (req, res) => {
    const id = Number(req.params.id);
    const n = Number.isSafeInteger(id)
      ? await ctx.knex('webhook_subscriptions').where({ id, active: true }).update({ active: false })
      : 0;
    if (n === 0) throw notFound(`Webhook subscription ${req.params.id} was not found.`);
    res.status(204).end();
  });

  router.get('/webhooks/:id/deliveries', async (req, res) => {
    const id = Number(req.params.id);
    if (!Number.isSafeInteger(id) || !(await ctx.knex('webhook_subscriptions').where({ id }).first('id'))) {
      throw notFound(`Webhook subscription ${req.params.id} was not found.`);
    }
    const rows = await ctx
      .knex('webhook_deliveries as d')
      .join('outbox as o', 'o.id', 'd.outbox_id')
      .where('d.subscription_id', id)
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
    res.json(
      rows.map((d) => ({
        id: String(d.id),
        event_type: d.event_type,
        service_request_id: d.request_id === null ? null : String(d.request_id),
        status: d.status,
        attempts: d.attempts,
        next_attempt_at: d.status === 'pending' ? (d.next_attempt_at as Date).toISOString() : null,
        last_status_code: d.last_status_code,
        last_error: d.last_error,
        delivered_at: d.delivered_at ? (d.delivered_at as Date).toISOString() : null,
      })),
    );
  });
  return router;
}
