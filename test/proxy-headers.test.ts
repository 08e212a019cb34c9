/**
 * Issue #15.7 and #16.6: X-Forwarded-For/-Proto are believed only from proxies TRUST_PROXY names, and HSTS
 * and `upgrade-insecure-requests` are sent only when the server is reached over HTTPS.
 */
import type { Express } from 'express';
import request from 'supertest';
import { createApp } from '../src/app';
import { loadConfig } from '../src/config';
import { startTestServer, type TestServer } from './helpers/app';

let t: TestServer;
beforeAll(async () => {
  t = await startTestServer();
});
afterAll(() => t.close());

/** An app on the shared test database configured by `env` (one database for the file keeps it quick). */
const server = (env: Record<string, string> = {}): { app: Express } => {
  const { trustProxy, publicUrl } = loadConfig(env);
  return { app: createApp({ ...t.ctx, config: { ...t.ctx.config, trustProxy, publicUrl } }) };
};

/** 31 exports (the limit is 30 per 10 minutes per address), each claiming a different client address. */
async function rotatingExports(s: { app: Express }): Promise<number[]> {
  const statuses: number[] = [];
  for (let i = 0; i < 31; i += 1) {
    const res = await request(s.app)
      .get('/open311/v2/bulk/requests.unknown')
      .set('X-Forwarded-For', `203.0.113.${i + 1}`);
    statuses.push(res.status);
  }
  return statuses;
}

const upgrades = (csp: string | undefined) => /upgrade-insecure-requests/.test(csp ?? '');

describe('TRUST_PROXY', () => {
  it('when it is unset, then rotating X-Forwarded-For does not escape the export limit per address', async () => {
    const statuses = await rotatingExports(server());
    expect(statuses.slice(0, 30).every((s) => s === 404)).toBe(true);
    expect(statuses[30]).toBe(429);
  });

  it('when it names the proxy in front (loopback), then each forwarded client has its own limit', async () => {
    const statuses = await rotatingExports(server({ TRUST_PROXY: 'loopback' }));
    expect(statuses.every((s) => s === 404)).toBe(true);
  });
});

describe('security headers over plain HTTP and HTTPS', () => {
  it('when reached over plain HTTP, then no HSTS and no upgrade-insecure-requests, on the API and the dashboard', async () => {
    const s = server();
    for (const path of ['/', '/dashboard/', '/docs/']) {
      const res = await request(s.app).get(path).set('X-Forwarded-Proto', 'https'); // untrusted: ignored
      expect([path, res.headers['strict-transport-security']]).toEqual([path, undefined]);
      expect([path, upgrades(res.headers['content-security-policy'])]).toEqual([path, false]);
      expect(res.headers['x-content-type-options']).toBe('nosniff');
    }
  });

  it('when a trusted proxy says the request came over HTTPS, then HSTS and upgrade-insecure-requests are sent', async () => {
    const s = server({ TRUST_PROXY: '1' });
    for (const path of ['/', '/dashboard/']) {
      const res = await request(s.app).get(path).set('X-Forwarded-Proto', 'https');
      expect(res.headers['strict-transport-security']).toMatch(/max-age=\d+/);
      expect(upgrades(res.headers['content-security-policy'])).toBe(true);
    }
    const plain = await request(s.app).get('/');
    expect(plain.headers['strict-transport-security']).toBeUndefined();
  });

  it('when PUBLIC_URL is https, then HSTS and upgrade-insecure-requests are always sent', async () => {
    const s = server({ PUBLIC_URL: 'https://311.example.gov' });
    const res = await request(s.app).get('/dashboard/');
    expect(res.headers['strict-transport-security']).toMatch(/max-age=\d+/);
    expect(upgrades(res.headers['content-security-policy'])).toBe(true);
  });
});
