/**
 * An operator's "the receiver is back, send now" and "replay what died": POST /admin/v1/webhooks/{id}/retry
 * ends a subscription's back-off and makes its pending deliveries due now (with dead=true its dead ones
 * get the whole retry schedule again, optionally only those of events since a time), and
 * POST /admin/v1/webhooks/{id}/deliveries/{deliveryId}/retry sends one delivery again. The worker's next
 * pass at the same clock time sends them. Receivers are real HTTP servers on 127.0.0.1 (allowed by
 * OUTBOUND_ALLOW_PRIVATE=true); time is the test clock, never a sleep.
 */
import request from 'supertest';
import { createApiKey } from '../src/auth';
import { createJurisdiction, type Service } from '../src/catalog';
import { deliverDue, dispatchOutbox } from '../src/notify';
import { ADMIN_KEY, startTestServer, type TestServer } from './helpers/app';
import { resetWrites } from './helpers/db';
import { holdingReceiver, receiver } from './helpers/webhook-receiver';
import { buildService, createRequest } from './helpers/factories';
import { disableDuplicateDetection } from './helpers/fixtures';
import { expectMatchesSpec } from './helpers/openapi';

let t: TestServer;
let service: Service;

const admin = (method: 'get' | 'post' | 'delete', path: string, body?: object, key = ADMIN_KEY) => {
  const r = request(t.app)[method](path).set('Authorization', `Bearer ${key}`);
  return body ? r.send(body) : r;
};
/** A retry call; its answer, whatever the status, must be what spec/openapi.yaml says. */
const retry = async (path: string, body?: object, key = ADMIN_KEY) => {
  const res = await admin('post', path, body, key);
  expectMatchesSpec('POST', path, res.status, res.body);
  return res;
};
const subscribe = async (url: string, jurisdiction = 'boston'): Promise<string> => {
  const res = await admin('post', '/admin/v1/webhooks', {
    url,
    event_types: ['request.created'],
    jurisdiction_id: jurisdiction,
  });
  expect(res.status).toBe(201);
  return res.body.id as string;
};
interface Delivery {
  id: string;
  status: string;
  attempts: number;
  next_attempt_at: string | null;
  last_error: string | null;
}
const deliveries = async (id: string): Promise<Delivery[]> => {
  const res = await admin('get', `/admin/v1/webhooks/${id}/deliveries`);
  expect(res.status).toBe(200);
  return (res.body as Delivery[]).sort((a, b) => Number(a.id) - Number(b.id));
};
const statuses = async (id: string) => (await deliveries(id)).map((d) => d.status);
const created = async (n: number) => {
  for (let i = 0; i < n; i += 1) await createRequest(t, service, { fields: { jurisdiction_id: 'boston' } });
};
/** One worker pass at the test clock's time: fan-out, then delivery with `maxAttempts`. */
const pass = async (maxAttempts = 8) => {
  await dispatchOutbox(t.db.knex, t.clock.now());
  return deliverDue(t.db.knex, t.clock.now, { maxAttempts, fetch: t.ctx.outbound });
};
/**
 * Passes with one attempt allowed until every delivery of `id` is dead (a pass stops trying a receiver
 * once its first failure is written, so some may wait for the back-off), then past any back-off.
 */
const untilDead = async (id: string) => {
  for (let i = 0; i < 5; i += 1) {
    await pass(1);
    t.clock.advance(7 * 3_600_000);
    if (!(await statuses(id)).includes('pending')) break;
  }
  expect((await statuses(id)).every((s) => s === 'dead')).toBe(true);
};
const subscriptionRow = async (id: string) =>
  (await t.db.knex('webhook_subscriptions').where({ id }).first('failures', 'paused_until')) as {
    failures: number;
    paused_until: Date | null;
  };
const errors = (res: request.Response, status: number) => {
  expect(res.status).toBe(status);
  const body = res.body as Array<{ code: number; description: string }>;
  expect(body).toEqual([{ code: status, description: expect.any(String) }]);
  return body[0]?.description;
};

beforeAll(async () => {
  t = await startTestServer({ OUTBOUND_ALLOW_PRIVATE: 'true' });
  await disableDuplicateDetection(t);
  service = await buildService(t);
  await createJurisdiction(t.db.knex, {
    id: 'springfield',
    name: 'Springfield',
    timeZone: 'America/Chicago',
  });
  t.ctx.catalog.invalidate();
});
beforeEach(async () => {
  await resetWrites(t.db);
  await t.db.knex('webhook_deliveries').delete();
  await t.db.knex('webhook_subscriptions').delete();
  await t.db.knex('outbox').delete();
  t.clock.set('2026-11-23T15:00:00Z');
});
afterAll(() => t.close());

describe('POST /admin/v1/webhooks/{id}/retry', () => {
  it('when a backed-off receiver comes back and the subscription is retried, then the next pass at the same time sends its pending deliveries', async () => {
    let answer = 503;
    const r = await receiver(() => answer);
    try {
      const id = await subscribe(r.url);
      await created(3);
      const first = await pass();
      expect(first.failed).toBeGreaterThan(0);
      expect(first.delivered).toBe(0);
      // Backed off: the failed ones wait 30 s or more, the subscription is paused.
      expect((await subscriptionRow(id)).paused_until).not.toBeNull();
      expect(await statuses(id)).toEqual(['pending', 'pending', 'pending']);

      answer = 204;
      t.clock.advance(5_000);
      const tried = r.hits.length;
      // Still paused: nothing is sent at this time without the operator's retry.
      expect(await pass()).toEqual({ delivered: 0, failed: 0 });
      expect(r.hits).toHaveLength(tried);

      const res = await retry(`/admin/v1/webhooks/${id}/retry`);
      expect(res.status).toBe(200);
      expect(res.body).toEqual({
        subscription_id: id,
        resumed: true,
        was_paused: true,
        pending_due_now: 3,
        dead_requeued: 0,
      });
      expect(await subscriptionRow(id)).toEqual({ failures: 0, paused_until: null });
      for (const d of await deliveries(id))
        expect(Date.parse(d.next_attempt_at ?? '')).toBeLessThanOrEqual(t.clock.now().getTime());

      // Same clock time: the worker sends all three, to the receiver that now answers.
      expect(await pass()).toEqual({ delivered: 3, failed: 0 });
      expect(await statuses(id)).toEqual(['delivered', 'delivered', 'delivered']);
      expect(r.hits).toHaveLength(tried + 3);
    } finally {
      await r.close();
    }
  });

  it('when dead deliveries are replayed with dead=true, then they get the whole retry schedule again and are delivered', async () => {
    let answer = 500;
    const r = await receiver(() => answer);
    try {
      const id = await subscribe(r.url);
      await created(2);
      await untilDead(id);
      expect(r.hits).toHaveLength(2);

      answer = 200;
      // Past any back-off: dead ones are never tried again on their own.
      expect(await pass()).toEqual({ delivered: 0, failed: 0 });

      // Without dead=true, the dead stay dead.
      const plain = await retry(`/admin/v1/webhooks/${id}/retry?dead=false`);
      expect(plain.body).toMatchObject({ was_paused: true, pending_due_now: 0, dead_requeued: 0 });
      expect(await statuses(id)).toEqual(['dead', 'dead']);

      const res = await retry(`/admin/v1/webhooks/${id}/retry?dead=true`);
      expect(res.status).toBe(200);
      expect(res.body).toEqual({
        subscription_id: id,
        resumed: true,
        was_paused: false, // the retry above resumed it
        pending_due_now: 0,
        dead_requeued: 2,
      });
      const requeued = await deliveries(id);
      expect(requeued).toEqual([
        expect.objectContaining({
          status: 'pending',
          attempts: 0,
          next_attempt_at: t.clock.now().toISOString(),
        }),
        expect.objectContaining({
          status: 'pending',
          attempts: 0,
          next_attempt_at: t.clock.now().toISOString(),
        }),
      ]);

      expect(await pass()).toEqual({ delivered: 2, failed: 0 });
      expect(await deliveries(id)).toEqual([
        expect.objectContaining({ status: 'delivered', attempts: 1 }),
        expect.objectContaining({ status: 'delivered', attempts: 1 }),
      ]);
    } finally {
      await r.close();
    }
  });

  it('when since is given, then only dead deliveries of events since then are replayed; delivered and cancelled ones are never touched', async () => {
    let answer = 500;
    const r = await receiver(() => answer);
    try {
      const id = await subscribe(r.url);
      await created(1); // 15:00
      t.clock.advance(3_600_000);
      await created(1); // 16:00
      await untilDead(id);
      answer = 204;

      // 10:30 in Boston is 15:30Z: only the 16:00Z event's delivery.
      const some = await retry(`/admin/v1/webhooks/${id}/retry?dead=true&since=2026-11-23T10:30:00`);
      expect(some.body).toMatchObject({ dead_requeued: 1 });
      expect(await statuses(id)).toEqual(['dead', 'pending']);
      expect(await pass()).toEqual({ delivered: 1, failed: 0 });
      expect(await statuses(id)).toEqual(['dead', 'delivered']);

      // The options in a JSON body work as well; the delivered one stays delivered, sent once.
      const rest = await retry(`/admin/v1/webhooks/${id}/retry`, {
        dead: true,
        since: '2026-11-23T14:00:00Z',
      });
      expect(rest.body).toMatchObject({ pending_due_now: 0, dead_requeued: 1 });
      expect(await pass()).toEqual({ delivered: 1, failed: 0 });
      expect(await deliveries(id)).toEqual([
        expect.objectContaining({ status: 'delivered', attempts: 1 }),
        expect.objectContaining({ status: 'delivered', attempts: 1 }),
      ]);
      expect(r.hits).toHaveLength(4); // two failed attempts, then each delivered once

      // A deleted subscription is not retried: 409, its cancelled deliveries stay cancelled.
      const other = await subscribe(r.url);
      answer = 503;
      await created(1);
      await pass();
      expect((await admin('delete', `/admin/v1/webhooks/${other}`)).status).toBe(204);
      expect(await statuses(other)).toEqual(['cancelled']);
      const refused = await retry(`/admin/v1/webhooks/${other}/retry?dead=true`);
      expect(errors(refused, 409)).toMatch(/was deleted/);
      expect(await statuses(other)).toEqual(['cancelled']);
    } finally {
      await r.close();
    }
  });

  it('when a delivery is being sent at the moment of the retry, then it is not made due again (never sent twice)', async () => {
    const r = await holdingReceiver(() => 204);
    try {
      const id = await subscribe(r.url);
      await created(1);
      const first = pass();
      await r.sending; // claimed: its next attempt is moved past the claim's lease while the receiver answers
      const res = await retry(`/admin/v1/webhooks/${id}/retry`);
      expect(res.body).toMatchObject({ pending_due_now: 0 });
      expect(await pass()).toEqual({ delivered: 0, failed: 0 }); // a second worker finds nothing due
      r.release();
      expect(await first).toEqual({ delivered: 1, failed: 0 });
      expect(r.hits).toHaveLength(1);
      expect(await statuses(id)).toEqual(['delivered']);
    } finally {
      await r.close();
    }
  });

  it('when the options are not valid, then 400 in the Open311 format and nothing changes', async () => {
    const id = await subscribe('https://hooks.example.test/h');
    await t.db
      .knex('webhook_subscriptions')
      .where({ id })
      .update({ failures: 3, paused_until: t.clock.now() });
    for (const [query, body, problem] of [
      ['?dead=yes', undefined, /dead must be true or false/],
      ['?dead=true&since=yesterday', undefined, /since must be an ISO 8601 date and time/],
      ['?dead=true&since=2026-13-40T00:00:00Z', undefined, /since must be an ISO 8601/],
      ['?since=2026-11-01T00:00:00Z', undefined, /since applies to dead deliveries: add dead=true/],
      ['', { dead: 'maybe' }, /dead must be true or false/],
      ['', { deads: true }, /Unknown field "deads" \(did you mean "dead"\?\)/],
      ['', { dead: true, since: ['2026-11-01', '2026-11-02'] }, /since must be a string, not a list/],
    ] as const) {
      const res = await retry(`/admin/v1/webhooks/${id}/retry${query}`, body);
      expect([query, body, res.status]).toEqual([query, body, 400]);
      expect([query, body, errors(res, 400)]).toEqual([query, body, expect.stringMatching(problem)]);
    }
    expect(await subscriptionRow(id)).toMatchObject({ failures: 3 });
  });
});

describe('POST /admin/v1/webhooks/{id}/deliveries/{deliveryId}/retry', () => {
  it('when one dead delivery is redelivered, then it alone is pending again and sent; a delivered one is 409', async () => {
    let answer = 500;
    const r = await receiver(() => answer);
    try {
      const id = await subscribe(r.url);
      await created(2);
      await untilDead(id);
      const [a, b] = await deliveries(id);
      answer = 204;

      const res = await retry(`/admin/v1/webhooks/${id}/deliveries/${a?.id}/retry`);
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({
        id: a?.id,
        status: 'pending',
        attempts: 0,
        next_attempt_at: t.clock.now().toISOString(),
      });
      expect(await subscriptionRow(id)).toEqual({ failures: 0, paused_until: null });
      expect(await pass()).toEqual({ delivered: 1, failed: 0 });
      expect(await deliveries(id)).toEqual([
        expect.objectContaining({ id: a?.id, status: 'delivered', attempts: 1 }),
        expect.objectContaining({ id: b?.id, status: 'dead', attempts: 1 }),
      ]);

      // Delivered: not sent again, and the log says so.
      const again = await retry(`/admin/v1/webhooks/${id}/deliveries/${a?.id}/retry`);
      expect(errors(again, 409)).toMatch(
        new RegExp(`^Delivery ${a?.id} was delivered at .*it is not sent again`),
      );
      expect(await pass()).toEqual({ delivered: 0, failed: 0 });
      expect(r.hits.filter((h) => h.delivery === a?.id)).toHaveLength(2); // the failure, then the delivery
    } finally {
      await r.close();
    }
  });

  it('when a pending delivery of a paused subscription is redelivered, then the pause ends and it is sent now', async () => {
    let answer = 503;
    const r = await receiver(() => answer);
    try {
      const id = await subscribe(r.url);
      await created(1);
      expect(await pass()).toEqual({ delivered: 0, failed: 1 });
      const [d] = await deliveries(id);
      expect(d).toMatchObject({ status: 'pending', attempts: 1 });
      answer = 204;
      t.clock.advance(1_000);
      expect(await pass()).toEqual({ delivered: 0, failed: 0 }); // paused for 30 s

      const res = await retry(`/admin/v1/webhooks/${id}/deliveries/${d?.id}/retry`);
      expect(res.body).toMatchObject({
        status: 'pending',
        attempts: 1,
        next_attempt_at: t.clock.now().toISOString(),
      });
      expect(await pass()).toEqual({ delivered: 1, failed: 0 });
      expect(await deliveries(id)).toEqual([expect.objectContaining({ status: 'delivered', attempts: 2 })]);
    } finally {
      await r.close();
    }
  });
});

describe('who may retry', () => {
  it('when a key bound to another jurisdiction retries, then 404 as for the other routes, and nothing changes', async () => {
    const id = await subscribe('https://hooks.example.test/h');
    await created(1);
    await dispatchOutbox(t.db.knex, t.clock.now());
    await t.db.knex('webhook_deliveries').update({ status: 'dead', attempts: 8 });
    await t.db
      .knex('webhook_subscriptions')
      .where({ id })
      .update({ failures: 8, paused_until: t.clock.now() });
    const [d] = await deliveries(id);
    const key = async (j: string) =>
      (
        await createApiKey(
          t.db.knex,
          { name: `${j} admin`, role: 'admin', channel: 'staff', jurisdictionId: j },
          t.clock.now(),
        )
      ).secret;
    const spring = await key('springfield');

    for (const path of [
      `/admin/v1/webhooks/${id}/retry?dead=true`,
      `/admin/v1/webhooks/${id}/deliveries/${d?.id}/retry`,
    ]) {
      const res = await retry(path, undefined, spring);
      expect([path, errors(res, 404)]).toEqual([path, expect.stringMatching(/was not found/)]);
    }
    expect(await deliveries(id)).toEqual([expect.objectContaining({ status: 'dead', attempts: 8 })]);
    expect(await subscriptionRow(id)).toMatchObject({ failures: 8 });

    // A key bound to the subscription's own jurisdiction reaches it.
    const own = await retry(`/admin/v1/webhooks/${id}/retry?dead=true`, undefined, await key('boston'));
    expect(own.body).toMatchObject({ subscription_id: id, dead_requeued: 1 });
  });

  it('when the subscription or the delivery does not exist, then 404', async () => {
    const id = await subscribe('https://hooks.example.test/h');
    const other = await subscribe('https://hooks.example.test/other');
    await created(1);
    await dispatchOutbox(t.db.knex, t.clock.now());
    const [ofOther] = await deliveries(other);
    for (const path of [
      '/admin/v1/webhooks/999999/retry',
      '/admin/v1/webhooks/nope/retry',
      '/admin/v1/webhooks/99999999999999999999/retry',
      '/admin/v1/webhooks/999999/deliveries/1/retry',
      `/admin/v1/webhooks/${id}/deliveries/999999/retry`,
      `/admin/v1/webhooks/${id}/deliveries/x/retry`,
      // A delivery of another subscription is not one of this one's.
      `/admin/v1/webhooks/${id}/deliveries/${ofOther?.id}/retry`,
    ]) {
      const res = await retry(path);
      expect([path, errors(res, 404)]).toEqual([path, expect.stringMatching(/not found/)]);
    }
  });
});
