/**
 * Issue #20.3: GET /metrics in the Prometheus text format, on a registry per context (two apps never
 * share a count), labelled by route template (never a raw URL with an id), behind METRICS_TOKEN when
 * set; the outbox backlog and the worker's ticks, escalations and deliveries are counted.
 */
import request from 'supertest';
import type { Service } from '../src/catalog';
import { tick } from '../src/worker';
import { ADMIN_KEY, startTestServer, type TestServer } from './helpers/app';
import { resetWrites } from './helpers/db';
import { buildService, createRequest } from './helpers/factories';
import { disableDuplicateDetection } from './helpers/fixtures';

/** The value of one series in the exposition text, or undefined when absent. */
function sample(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  for (const line of text.split('\n')) {
    const m = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m || m[1] !== name) continue;
    const got = Object.fromEntries(
      [...(m[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map((l) => [l[1], l[2]]),
    );
    if (Object.entries(labels).every(([k, v]) => got[k] === v)) return Number(m[3]);
  }
  return undefined;
}

const scrape = async (t: TestServer, headers: Record<string, string> = {}) => {
  const res = await request(t.app).get('/metrics').set(headers);
  expect(res.status).toBe(200);
  expect(res.headers['content-type']).toMatch(/^text\/plain; version=0\.0\.4/);
  return res.text;
};

describe('GET /metrics', () => {
  let t: TestServer;
  let other: TestServer;
  beforeAll(async () => {
    t = await startTestServer();
    other = await startTestServer({ METRICS_TOKEN: 'metrics-token-0123456789' });
    await disableDuplicateDetection(t);
  });
  afterAll(async () => {
    await t.close();
    await other.close();
  });

  it('when requests are answered, then they are counted and timed by route template, method and status, never by raw URL', async () => {
    await request(t.app).get('/open311/v2/requests/987654.json').expect(404);
    await request(t.app).get('/open311/v2/requests/987655.xml').expect(404);
    await request(t.app).get('/open311/v2/services.json').expect(200);
    await request(t.app).get('/no/such/987656').expect(404);
    const text = await scrape(t);
    const byId = { route: '/open311/v2/requests/:service_request_id.:format', method: 'GET', status: '404' };
    expect(sample(text, 'open311_http_requests_total', byId)).toBe(2);
    expect(sample(text, 'open311_http_request_duration_seconds_count', byId)).toBe(2);
    expect(sample(text, 'open311_http_request_duration_seconds_bucket', { ...byId, le: '+Inf' })).toBe(2);
    expect(
      sample(text, 'open311_http_requests_total', {
        route: '/open311/v2/services.:format',
        method: 'GET',
        status: '200',
      }),
    ).toBe(1);
    expect(sample(text, 'open311_http_requests_total', { route: '(unmatched)', status: '404' })).toBe(1);
    expect(text).not.toMatch(/98765[456]/);
    // Another app (another context) counted none of these.
    const theirs = await scrape(other, { Authorization: 'Bearer metrics-token-0123456789' });
    expect(sample(theirs, 'open311_http_requests_total', byId)).toBeUndefined();
  });

  it('when METRICS_TOKEN is set, then /metrics answers 401 without the bearer token or with another', async () => {
    const no = await request(other.app).get('/metrics');
    expect(no.status).toBe(401);
    expect(no.headers['www-authenticate']).toMatch(/^Bearer/);
    expect(no.text).not.toMatch(/open311_/);
    for (const auth of [
      'Bearer metrics-token-012345678',
      'Bearer metrics-token-01234567890',
      'metrics-token-0123456789',
    ])
      expect((await request(other.app).get('/metrics').set('Authorization', auth)).status).toBe(401);
    expect(
      (await request(other.app).get('/metrics').set('Authorization', `Bearer ${ADMIN_KEY}`)).status,
    ).toBe(401);
    await scrape(other, { Authorization: 'Bearer metrics-token-0123456789' });
  });

  it('when scraped, then the database pool and (once turned on) the process are described; no replica series without one', async () => {
    let text = await scrape(t);
    expect(
      sample(text, 'open311_db_pool_connections', { pool: 'primary', state: 'used' }),
    ).toBeGreaterThanOrEqual(0);
    expect(sample(text, 'open311_db_pool_connections', { pool: 'primary', state: 'waiting' })).toBe(0);
    expect(sample(text, 'open311_db_replica_lag_seconds')).toBeUndefined();
    expect(sample(text, 'open311_process_cpu_seconds_total')).toBeUndefined();
    t.ctx.metrics.collectProcessMetrics();
    t.ctx.metrics.collectProcessMetrics(); // once only: a second call registers nothing twice
    text = await scrape(t);
    expect(sample(text, 'open311_process_cpu_seconds_total')).toBeGreaterThan(0);
    expect(sample(text, 'open311_nodejs_heap_size_used_bytes')).toBeGreaterThan(0);
  });

  describe('the outbox and the worker', () => {
    let s: Service;
    beforeAll(async () => {
      await resetWrites(t.db);
      await t.db.knex('outbox').delete();
      t.clock.set('2026-11-23T14:00:00Z');
      s = await buildService(t, { sla: { value: 1, unit: 'hours' } });
      await t.db.knex('webhook_subscriptions').insert({
        jurisdiction_id: 'boston',
        url: 'http://127.0.0.1:9/hook',
        secret: 'x'.repeat(32),
        event_types: ['request.created'],
        created_at: t.clock.now(),
      });
    });

    it('when events wait, then the backlog and the oldest age show it; a tick fans them out and the deliveries, escalations and tick are counted', async () => {
      const empty = await scrape(t);
      expect(sample(empty, 'open311_outbox_depth', { stage: 'dispatch' })).toBe(0);
      expect(sample(empty, 'open311_outbox_oldest_age_seconds', { stage: 'dispatch' })).toBe(0);
      await createRequest(t, s);
      await createRequest(t, s);
      t.clock.advance(90 * 60_000); // past the one-hour response level: the sweep escalates
      let text = await scrape(t);
      expect(sample(text, 'open311_outbox_depth', { stage: 'dispatch' })).toBe(2);
      expect(sample(text, 'open311_outbox_oldest_age_seconds', { stage: 'dispatch' })).toBe(5400);

      const refused = async () => new Response(null, { status: 503 });
      const result = await tick(t.ctx, { fetch: refused });
      expect(result.escalations).toBeGreaterThan(0);
      expect(result.failed).toBe(2);
      text = await scrape(t);
      expect(sample(text, 'open311_outbox_depth', { stage: 'dispatch' })).toBe(0);
      expect(sample(text, 'open311_outbox_depth', { stage: 'delivery' })).toBe(2);
      expect(sample(text, 'open311_outbox_oldest_age_seconds', { stage: 'delivery' })).toBe(5400);
      expect(sample(text, 'open311_worker_tick_duration_seconds_count', { outcome: 'ok' })).toBe(1);
      expect(sample(text, 'open311_escalations_fired_total')).toBe(result.escalations);
      expect(sample(text, 'open311_deliveries_total', { channel: 'webhook', outcome: 'failed' })).toBe(2);
      expect(sample(text, 'open311_deliveries_total', { channel: 'webhook', outcome: 'delivered' })).toBe(0);

      t.clock.advance(3_600_000); // past the retry back-off
      const ok = async () => new Response(null, { status: 204 });
      expect((await tick(t.ctx, { fetch: ok })).delivered).toBe(2);
      text = await scrape(t);
      expect(sample(text, 'open311_outbox_depth', { stage: 'delivery' })).toBe(0);
      expect(sample(text, 'open311_deliveries_total', { channel: 'webhook', outcome: 'delivered' })).toBe(2);
      expect(sample(text, 'open311_worker_tick_duration_seconds_count', { outcome: 'ok' })).toBe(2);
    });
  });
});
