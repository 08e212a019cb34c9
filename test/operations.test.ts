import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import request from 'supertest';
import { listenUrl } from '../src/bootstrap';
import { startTestServer, type TestServer } from './helpers/app';

let t: TestServer;
beforeAll(async () => {
  t = await startTestServer();
});
afterAll(() => t.close());

describe('operations', () => {
  it('when a person opens /, then a small HTML page links the dashboard, the docs and the API; a program gets JSON', async () => {
    const page = await request(t.app).get('/').set('Accept', 'text/html').expect(200);
    expect(page.headers['content-type']).toMatch(/text\/html/);
    for (const href of ['/dashboard/', '/docs', '/open311/discovery.json', '/open311/v2/services.json']) {
      expect(page.text).toContain(`href="${href}"`);
    }
    const json = await request(t.app).get('/').set('Accept', 'application/json').expect(200);
    expect(json.body).toMatchObject({
      dashboard: expect.stringMatching(/\/dashboard\/$/),
      docs: expect.any(String),
    });
  });

  it('when the server listens on every interface, then the start-up log names an address a person can open', () => {
    expect(listenUrl({ host: '0.0.0.0', port: 3000 })).toBe('http://localhost:3000/');
    expect(listenUrl({ host: '::', port: 8080 })).toBe('http://localhost:8080/');
    expect(listenUrl({ host: '127.0.0.1', port: 3001 })).toBe('http://127.0.0.1:3001/');
    expect(listenUrl({ host: '::1', port: 3001 })).toBe('http://[::1]:3001/');
  });

  it('when npm start runs with WORKER=off on the embedded database, then it refuses at once with one line saying why', () => {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'open311-worker-off-'));
    const env = { ...process.env, WORKER: 'off', DATA_DIR: dataDir, DATABASE_URL: '', PORT: '0' };
    const run = spawnSync('npm', ['start', '--silent'], {
      cwd: path.resolve(__dirname, '..'),
      env,
      encoding: 'utf8',
      timeout: 60_000,
    });
    expect(run.status).toBe(2);
    const lines = run.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/WORKER=off needs DATABASE_URL.*embedded database.*npm run worker/);
    expect(fs.readdirSync(dataDir)).toEqual([]); // refused before the database was opened
    fs.rmSync(dataDir, { recursive: true });
  }, 70_000);
});
