/**
 * Webhook subscriptions and the worker's delivery pass (security probe findings M6, L1, L2, L3): a deleted
 * subscription's pending deliveries are cancelled; a dead receiver is backed off as a whole and does not
 * hold up a live one; filters must name a service or agency of the jurisdiction; credentials in a URL are
 * refused over plain http and masked in the list; the secret has a maximum length; the delivery log says
 * why a send failed (blocked by the outbound guard, refused, timed out, DNS) without echoing secrets.
 * Receivers are real HTTP servers on 127.0.0.1 (allowed by OUTBOUND_ALLOW_PRIVATE=true); time is the
 * test clock, never a sleep.
 */
import request from 'supertest';
import { outboundFetch, PrivateAddressError } from '../src/core';
import type { Service } from '../src/catalog';
import { deliverDue } from '../src/notify';
import { tick } from '../src/worker';
import { ADMIN_KEY, startTestServer, type TestServer } from './helpers/app';
import { resetWrites } from './helpers/db';
import { holdingReceiver, receiver } from './helpers/webhook-receiver';
import { buildService, createRequest } from './helpers/factories';
import { disableDuplicateDetection } from './helpers/fixtures';

let t: TestServer;
let service: Service;

const admin = (method: 'get' | 'post' | 'delete', path: string, body?: object) => {
  const r = request(t.app)[method](path).set('Authorization', `Bearer ${ADMIN_KEY}`);
  return body ? r.send(body) : r;
};
const subscribe = async (url: string, extra: object = {}): Promise<string> => {
  const res = await admin('post', '/admin/v1/webhooks', { url, event_types: ['request.created'], ...extra });
  expect(res.status).toBe(201);
  return res.body.id as string;
};
const deliveries = async (id: string) => {
  const res = await admin('get', `/admin/v1/webhooks/${id}/deliveries`);
  expect(res.status).toBe(200);
  return res.body as Array<{ status: string; attempts: number; last_error: string | null }>;
};
const created = async (n: number, of = service) => {
  for (let i = 0; i < n; i += 1) await createRequest(t, of);
};

beforeAll(async () => {
  t = await startTestServer({ OUTBOUND_ALLOW_PRIVATE: 'true' });
  await disableDuplicateDetection(t);
  service = await buildService(t, { agency: { code: 'hooks-agency', name: 'Hooks Agency' } });
});
beforeEach(async () => {
  await resetWrites(t.db);
  await t.db.knex('webhook_deliveries').delete();
  await t.db.knex('webhook_subscriptions').delete();
  await t.db.knex('outbox').delete();
  t.clock.set('2026-11-23T15:00:00Z');
});
afterAll(() => t.close());

describe('deleting a subscription (M6)', () => {
  it('when a subscription with a pending retry is deleted, then the delivery is cancelled and never attempted again', async () => {
    let answer = 500;
    const r = await receiver(() => answer);
    try {
      const id = await subscribe(r.url);
      await created(1);
      expect((await tick(t.ctx)).failed).toBe(1);
      expect(await deliveries(id)).toMatchObject([{ status: 'pending', attempts: 1 }]);

      expect((await admin('delete', `/admin/v1/webhooks/${id}`)).status).toBe(204);
      const [cancelled] = await deliveries(id);
      expect(cancelled).toMatchObject({ status: 'cancelled', attempts: 1, next_attempt_at: null });

      answer = 204;
      t.clock.advance(3_600_000); // far past the retry's back-off
      expect(await tick(t.ctx)).toMatchObject({ delivered: 0, failed: 0 });
      expect(r.hits).toHaveLength(1);
      expect(await deliveries(id)).toMatchObject([{ status: 'cancelled', attempts: 1 }]);
      // A second delete finds no active subscription.
      expect((await admin('delete', `/admin/v1/webhooks/${id}`)).status).toBe(404);
    } finally {
      await r.close();
    }
  });

  it('when a subscription is deleted while a delivery is being sent, then that send finishes and is logged delivered', async () => {
    const r = await holdingReceiver(() => 204);
    try {
      const id = await subscribe(r.url);
      await created(1);
      const pass = tick(t.ctx);
      await r.sending; // the receiver holds the request: the delivery is in flight
      expect((await admin('delete', `/admin/v1/webhooks/${id}`)).status).toBe(204);
      r.release();
      expect((await pass).delivered).toBe(1);
      expect(await deliveries(id)).toMatchObject([{ status: 'delivered', attempts: 1 }]);
    } finally {
      await r.close();
    }
  });
});

describe('fair delivery (M6)', () => {
  it('when a dead receiver has a backlog, then a live receiver is served in the first pass and the dead one is backed off', async () => {
    let deadAnswer = 503;
    const dead = await receiver(() => deadAnswer);
    const live = await receiver(() => 204);
    try {
      const deadId = await subscribe(dead.url);
      await created(110); // a backlog for the dead receiver, due before anything of the live one
      const other = await buildService(t);
      const liveId = await subscribe(live.url, { service_code: other.serviceCode });
      await created(3, other);

      // First pass: the live receiver gets its three; the dead one is tried a few times at most (the
      // attempts claimed before its first failure was written), then paused.
      const first = await tick(t.ctx);
      expect(first.delivered).toBe(3);
      expect(live.hits).toHaveLength(3);
      expect(await deliveries(liveId)).toEqual(
        expect.arrayContaining([expect.objectContaining({ status: 'delivered', attempts: 1 })]),
      );
      const afterFirst = dead.hits.length;
      expect(afterFirst).toBeGreaterThan(0);
      expect(afterFirst).toBeLessThanOrEqual(4); // at most half of the 8 lanes on one subscription

      // Backed off as a whole: not tried on every tick, but on the retry schedule (30 s, then 60 s ...).
      t.clock.advance(5_000);
      expect(await tick(t.ctx)).toMatchObject({ delivered: 0, failed: 0 });
      t.clock.advance(26_000); // 31 s after the failure
      // One probe, even with two workers passing at once: the first to claim pauses the receiver for
      // its lease, so the other claims nothing of it.
      const pass = () => deliverDue(t.db.knex, t.clock.now, { maxAttempts: 8, fetch: t.ctx.outbound });
      const [a, b] = await Promise.all([pass(), pass()]);
      expect(a.failed + b.failed).toBe(1);
      expect(a.delivered + b.delivered).toBe(0);
      t.clock.advance(31_000); // the next step is 60 s
      expect(await tick(t.ctx)).toMatchObject({ failed: 0 });
      t.clock.advance(30_000);
      expect(await tick(t.ctx)).toMatchObject({ failed: 1 });
      expect(dead.hits).toHaveLength(afterFirst + 2);
      // The deliveries not tried keep their attempts: an outage does not use up the whole backlog's.
      const log = await deliveries(deadId);
      expect(log).toHaveLength(113);
      expect(log.filter((d) => d.attempts > 0).length).toBeLessThanOrEqual(afterFirst + 2);
      expect(log.every((d) => d.status === 'pending')).toBe(true);

      // The receiver recovers: the probe succeeds and the backlog drains (nothing else waits, so past the
      // share of 10 per pass), at most 50 per pass.
      deadAnswer = 204;
      t.clock.advance(3_600_000);
      const drained = [await tick(t.ctx), await tick(t.ctx), await tick(t.ctx)];
      expect(drained.map((p) => p.failed)).toEqual([0, 0, 0]);
      expect(drained[0]?.delivered).toBeGreaterThan(10);
      expect(drained[0]?.delivered).toBeLessThanOrEqual(50);
      expect((await deliveries(deadId)).every((d) => d.status === 'delivered')).toBe(true);
    } finally {
      await dead.close();
      await live.close();
    }
  }, 60_000);

  it('when a live receiver has a large backlog, then another live receiver is served in the same pass', async () => {
    const busy = await receiver(() => 204);
    const other = await receiver(() => 204);
    try {
      await subscribe(busy.url);
      await created(60); // due before anything of the other receiver, more than a pass's 50
      const second = await buildService(t);
      await subscribe(other.url, { service_code: second.serviceCode });
      await created(2, second);

      const pass = await tick(t.ctx);
      expect(pass.delivered).toBe(50);
      expect(other.hits).toHaveLength(2);
      expect(busy.hits).toHaveLength(48); // 10 while the other waited, then the rest of the pass
      expect((await tick(t.ctx)).delivered).toBe(14);
      expect(busy.hits).toHaveLength(62); // it takes every event: the other's two as well
    } finally {
      await busy.close();
      await other.close();
    }
  }, 60_000);
});

describe('subscription input (L1, L2)', () => {
  it('when a filter names a service or agency the jurisdiction does not have, then 400 naming it and nothing is stored', async () => {
    const res = await admin('post', '/admin/v1/webhooks', {
      url: 'https://example.test/hook',
      jurisdiction_id: 'boston',
      service_code: 'no-such-service',
      agency_code: 'nope',
    });
    expect(res.status).toBe(400);
    const text = JSON.stringify(res.body);
    expect(text).toContain('service_code \\"no-such-service\\" is not a service of boston');
    expect(text).toContain('agency_code \\"nope\\" is not an agency code of boston');
    expect(Number((await t.db.knex('webhook_subscriptions').count({ n: '*' }))[0]?.n)).toBe(0);

    const ok = await admin('post', '/admin/v1/webhooks', {
      url: 'https://example.test/hook',
      service_code: service.serviceCode,
      agency_code: 'hooks-agency',
    });
    expect(ok.status).toBe(201);
    expect(ok.body).toMatchObject({ service_code: service.serviceCode, agency_code: 'hooks-agency' });
  });

  it('when a URL carries credentials, then plain http is refused and the list masks the password', async () => {
    const clear = await admin('post', '/admin/v1/webhooks', { url: 'http://user:pass@example.test/h' });
    expect(clear.status).toBe(400);
    expect(JSON.stringify(clear.body)).toMatch(/credentials.*plain http/);
    const userOnly = await admin('post', '/admin/v1/webhooks', { url: 'http://token@example.test/h' });
    expect(userOnly.status).toBe(400);

    const ok = await admin('post', '/admin/v1/webhooks', { url: 'https://user:pa55word@example.test/h' });
    expect(ok.status).toBe(201);
    expect(ok.body.url).toBe('https://user:***@example.test/h');
    const list = await admin('get', '/admin/v1/webhooks');
    expect(list.status).toBe(200);
    expect(JSON.stringify(list.body)).not.toContain('pa55word');
    expect(list.body[0].url).toBe('https://user:***@example.test/h');
    // Stored as given: the worker still needs the password to send.
    expect((await t.db.knex('webhook_subscriptions').first('url')).url).toBe(
      'https://user:pa55word@example.test/h',
    );
  });

  it('when a secret is longer than 256 characters, then 400; 256 is accepted', async () => {
    const long = await admin('post', '/admin/v1/webhooks', {
      url: 'https://example.test/h',
      secret: 'x'.repeat(257),
    });
    expect(long.status).toBe(400);
    expect(JSON.stringify(long.body)).toContain('secret must be 16 to 256 characters');
    const huge = await admin('post', '/admin/v1/webhooks', {
      url: 'https://example.test/h',
      secret: 'x'.repeat(100_000),
    });
    expect(huge.status).toBe(400);
    const ok = await admin('post', '/admin/v1/webhooks', {
      url: 'https://example.test/h',
      secret: 'x'.repeat(256),
    });
    expect(ok.status).toBe(201);
  });

  it('when an event type is listed twice, then the subscription lists it once (probe)', async () => {
    const res = await admin('post', '/admin/v1/webhooks', {
      url: 'https://example.test/h',
      event_types: ['request.created', 'request.created', 'request.updated'],
    });
    expect([res.status, res.body.event_types]).toEqual([201, ['request.created', 'request.updated']]);
  });

  it('when a stored URL carries credentials, then they are sent as Basic authorization, not in the URL', async () => {
    const r = await receiver(() => 204);
    try {
      // Stored directly: the API takes credentials over https only, and this receiver is plain http.
      await t.db.knex('webhook_subscriptions').insert({
        jurisdiction_id: 'boston',
        url: r.url.replace('http://', 'http://hook%20user:s3cr%3At@'),
        secret: 'y'.repeat(20),
        event_types: ['request.created'],
        created_at: t.clock.now(),
      });
      await created(1);
      expect((await tick(t.ctx)).delivered).toBe(1);
      expect(r.hits[0]?.authorization).toBe(`Basic ${Buffer.from('hook user:s3cr:t').toString('base64')}`);
    } finally {
      await r.close();
    }
  });
});

describe('why a delivery failed (L3)', () => {
  const lastError = async (fetchImpl?: typeof fetch, url = 'https://hooks.example.test/h') => {
    const id = await subscribe(url, { secret: 'the-shared-secret-value' });
    await created(1);
    expect((await tick(t.ctx, fetchImpl ? { fetch: fetchImpl } : {})).failed).toBe(1);
    return (await deliveries(id))[0]?.last_error;
  };
  const failing = (err: unknown) =>
    (async () => {
      throw err;
    }) as unknown as typeof fetch;

  it('when the outbound guard refuses an address, then last_error says blocked', async () => {
    // The real guard (OUTBOUND_ALLOW_PRIVATE off) on a loopback receiver.
    const r = await receiver(() => 204);
    try {
      const error = await lastError(outboundFetch(false), r.url);
      expect(error).toMatch(/^blocked: 127\.0\.0\.1 is not a public address/);
      expect(r.hits).toHaveLength(0);
    } finally {
      await r.close();
    }
  });

  it('when a name resolves to a private address at connect time, then last_error says blocked, not "fetch failed"', async () => {
    // How undici reports the guard's refusal from its connect-time lookup (a name such as `vm`).
    const error = await lastError(
      failing(new TypeError('fetch failed', { cause: new PrivateAddressError('vm') })),
    );
    expect(error).toMatch(/^blocked: vm is not a public address/);
  });

  it('when the receiver refuses the connection, then last_error names ECONNREFUSED and the address', async () => {
    const r = await receiver(() => 204);
    const url = r.url;
    await r.close(); // nothing listens there now
    const error = await lastError(undefined, url);
    expect(error).toMatch(/^ECONNREFUSED: connection refused \(127\.0\.0\.1:\d+\)$/);
  });

  it('when the receiver does not answer in time or its name does not resolve, then last_error says so', async () => {
    expect(
      await lastError(failing(new DOMException('The operation was aborted due to timeout', 'TimeoutError'))),
    ).toBe('timeout: no answer within 10000 ms');

    await t.db.knex('webhook_deliveries').delete();
    await t.db.knex('webhook_subscriptions').delete();
    const dns = Object.assign(new Error('getaddrinfo ENOTFOUND hooks.example.test'), {
      code: 'ENOTFOUND',
      hostname: 'hooks.example.test',
    });
    expect(await lastError(failing(new TypeError('fetch failed', { cause: dns })))).toBe(
      'ENOTFOUND: DNS: no such host (hooks.example.test)',
    );
  });

  it('when an error message carries the secret or the URL password, then last_error does not', async () => {
    const error = await lastError(
      failing(new Error('boom at https://u:hunter22pass@hooks.example.test/h with the-shared-secret-value')),
      'https://u:hunter22pass@hooks.example.test/h',
    );
    expect(error).toContain('boom');
    expect(error).not.toContain('hunter22pass');
    expect(error).not.toContain('the-shared-secret-value');
  });
});
