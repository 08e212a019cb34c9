import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import request from 'supertest';
import { ADMIN_KEY, startTestServer, type TestServer } from './helpers/app';
import { TEMPLATE_NOW } from './helpers/template';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const hasChromium = fs.existsSync(CHROMIUM);
if (!hasChromium) {
  console.warn(
    `Skipping the dashboard browser test: no Chromium at ${CHROMIUM} (apt-get install chromium, or set CHROMIUM_PATH).`,
  );
}
const describeBrowser = hasChromium ? describe : describe.skip;

describeBrowser('dashboard in a real browser', () => {
  let t: TestServer;
  let server: http.Server;
  let base: string;
  let browser: Browser;

  beforeAll(async () => {
    t = await startTestServer();
    t.clock.set(TEMPLATE_NOW.toISOString());
    server = http.createServer(t.app);
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    });
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    server?.close();
    await t?.close();
  });

  it('when a resident opens /dashboard, then the map shows the districts, the on-time share matches the SLA report, and changing the layer updates the table', async () => {
    const page = await browser.newPage({ viewport: { width: 1200, height: 1600 } });
    const errors: string[] = [];
    page.on('console', (m) => {
      if (m.type() === 'error') errors.push(m.text());
    });
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(`${base}/dashboard/`);
    await page.waitForSelector('body[data-ready="true"]');
    await page.waitForSelector('#map[data-features]');
    expect(Number(await page.getAttribute('#map', 'data-features'))).toBeGreaterThan(5);
    expect(await page.getAttribute('#map', 'data-layer')).toBe('ward');
    expect(await page.locator('#city').textContent()).toContain('Boston');

    const start = await page.inputValue('#start');
    const end = await page.inputValue('#end');
    const report = await request(t.app)
      .get(`/admin/v1/reports/sla?start_date=${start}&end_date=${end}`)
      .set('Authorization', `Bearer ${ADMIN_KEY}`);
    const share = report.body.rows[0].on_time_share as number;
    const shown = await page
      .locator('#cards div', { hasText: 'Closed within response level' })
      .locator('dd')
      .textContent();
    expect(shown).toBe(`${Math.round(share * 1000) / 10}%`);

    const wardsFirst = await page.locator('#districts tbody th').first().textContent();
    expect(wardsFirst).toMatch(/^Ward /);
    await page.selectOption('#layer', 'police_district');
    await page.waitForFunction(
      () => document.querySelector('#map')?.getAttribute('data-layer') === 'police_district',
    );
    await page.waitForFunction(
      () => !/^Ward /.test(document.querySelector('#districts tbody th')?.textContent ?? 'Ward '),
    );
    expect(await page.locator('#spread').textContent()).toMatch(/Best served area|Not enough/);

    fs.mkdirSync(path.resolve(__dirname, '../test-output'), { recursive: true });
    await page.screenshot({ path: path.resolve(__dirname, '../test-output/dashboard.png'), fullPage: true });
    expect(errors).toEqual([]);
  }, 60_000);
});
