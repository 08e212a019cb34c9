import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import request from 'supertest';
import { ADMIN_KEY, startTestServer, type TestServer } from './helpers/app';
import { TEMPLATE_NOW } from './helpers/template';

const AXE_SOURCE = require.resolve('axe-core/axe.min.js');
/** 1×1 transparent PNG: the base-map tiles, served by the test itself (no network). */
const TILE = Buffer.from(
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAQAAAC1HAwCAAAAC0lEQVR42mNkYAAAAAYAAjCB0C8AAAAASUVORK5CYII=',
  'base64',
);

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

  it('when a resident opens /dashboard on a phone, then nothing overflows sideways, the map and the area table show, and the controls are reachable by keyboard', async () => {
    const page = await browser.newPage({
      viewport: { width: 390, height: 844 },
      deviceScaleFactor: 2,
      isMobile: true,
      hasTouch: true,
    });
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(`${base}/dashboard/`);
    await page.waitForSelector('body[data-ready="true"]');
    await page.waitForSelector('#map[data-features]');

    // No horizontal scrolling of the page (wide tables scroll inside their own box).
    const widths = await page.evaluate(() => ({
      doc: document.documentElement.scrollWidth,
      body: document.body.scrollWidth,
      viewport: window.innerWidth,
    }));
    expect(widths.doc).toBeLessThanOrEqual(widths.viewport);
    expect(widths.body).toBeLessThanOrEqual(widths.viewport);

    const box = async (selector: string) => {
      const b = await page.locator(selector).boundingBox();
      if (!b) throw new Error(`${selector} is not shown`);
      return b;
    };
    const map = await box('#map');
    expect(map.width).toBeGreaterThan(300);
    expect(map.x + map.width).toBeLessThanOrEqual(390 + 0.5);
    expect(map.height).toBeGreaterThan(200);
    await expect(page.locator('#districts tbody tr').first().isVisible()).resolves.toBe(true);
    const table = await box('#districts');
    const scroller = await box('#districts-scroll');
    expect(scroller.x + scroller.width).toBeLessThanOrEqual(390 + 0.5);
    expect(table.width).toBeGreaterThan(0);

    // Tab order from the top: skip link, then every filter control, each inside the screen when focused
    // (a date input takes several Tab presses, one per day, month and year field).
    await page.keyboard.press('Tab');
    expect(await page.evaluate(() => document.activeElement?.className)).toBe('skip');
    const reached: string[] = [];
    for (let i = 0; i < 12 && reached[reached.length - 1] !== 'button'; i += 1) {
      await page.keyboard.press('Tab');
      const focused = await page.evaluate(() => {
        const el = document.activeElement as HTMLElement;
        const r = el.getBoundingClientRect();
        return { id: el.id || el.tagName.toLowerCase(), left: r.left, right: r.right, w: r.width };
      });
      expect(focused.left).toBeGreaterThanOrEqual(0);
      expect(focused.right).toBeLessThanOrEqual(390 + 0.5);
      expect(focused.w).toBeGreaterThan(0);
      if (reached[reached.length - 1] !== focused.id) reached.push(focused.id);
    }
    expect(reached).toEqual(['start', 'end', 'layer', 'button']);
    // The layer can be changed from the keyboard alone (type-ahead on the focused list).
    await page.focus('#layer');
    await page.keyboard.type('p');
    await page.waitForFunction(
      () => document.querySelector('#map')?.getAttribute('data-layer') === 'police_district',
    );

    fs.mkdirSync(path.resolve(__dirname, '../test-output'), { recursive: true });
    await page.screenshot({
      path: path.resolve(__dirname, '../test-output/dashboard-phone.png'),
      fullPage: true,
    });
    expect(errors).toEqual([]);
  }, 60_000);

  it('when the page is checked with axe-core, the areas sort as numbers, the partial week is marked, the base map credits OpenStreetMap, and a failure clears the figures and is announced', async () => {
    const page = await browser.newPage({ viewport: { width: 1200, height: 1600 } });
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    // The configured tile URL, as DASHBOARD_TILE_URL would give it, served from this test.
    await page.route('**/dashboard/api/config', async (route) => {
      const res = await route.fetch();
      const config = (await res.json()) as Record<string, unknown>;
      await route.fulfill({ response: res, json: { ...config, tile_url: `${base}/tiles/{z}/{x}/{y}.png` } });
    });
    await page.route('**/tiles/**', (route) => route.fulfill({ contentType: 'image/png', body: TILE }));
    await page.goto(`${base}/dashboard/`);
    await page.waitForSelector('body[data-ready="true"]');
    await page.waitForSelector('#map[data-features]');

    // Accessibility: no serious or critical violation.
    // Evaluated through the DevTools protocol: the page's CSP (script-src 'self') stays on.
    await page.evaluate(fs.readFileSync(AXE_SOURCE, 'utf8'));
    const violations = await page.evaluate(async () => {
      type Violation = { id: string; impact: string | null; nodes: Array<{ target: string[] }> };
      const axe = (window as unknown as { axe: { run(): Promise<{ violations: Violation[] }> } }).axe;
      const result = await axe.run();
      return result.violations
        .filter((v) => v.impact === 'serious' || v.impact === 'critical')
        .map((v) => `${v.id} (${v.impact}): ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
    });
    expect(violations).toEqual([]);

    // Ward 1, 2, … 10, not Ward 1, 10, 11, … 2.
    const wards = await page.locator('#districts tbody th').allTextContents();
    const numbers = wards.map((w) => Number(/(\d+)/.exec(w)?.[1]));
    expect(numbers.length).toBeGreaterThan(10);
    expect(numbers).toEqual([...numbers].sort((a, b) => a - b));

    // A period ending on the Wednesday of its last week with requests: that week is marked as partial.
    const start = await page.inputValue('#start');
    const summary = await request(t.app).get(
      `/dashboard/api/summary?start_date=${start}&end_date=${await page.inputValue('#end')}&layer=ward`,
    );
    const weeks = (summary.body.weekly as Array<{ week: string }>).map((w) => w.week);
    const lastWeek = weeks[weeks.length - 1]!;
    const wednesday = new Date(Date.parse(`${lastWeek}T00:00:00Z`) + 2 * 86_400_000)
      .toISOString()
      .slice(0, 10);
    await page.fill('#end', wednesday);
    await page.click('#filters button');
    await page.waitForFunction(
      () => Number(document.querySelector('#trend')?.getAttribute('data-partial-weeks')) > 0,
    );
    expect(await page.locator('#trend-note').textContent()).toContain(`the week of ${lastWeek}`);

    expect(await page.locator('.leaflet-control-attribution').textContent()).toContain(
      '© OpenStreetMap contributors',
    );

    // A failing refresh: the old figures go, the message is in an alert region.
    await page.route('**/dashboard/api/summary*', (route) =>
      route.fulfill({ status: 503, json: [{ code: 503, description: 'The database is not answering.' }] }),
    );
    await page.click('#filters button');
    await page.waitForSelector('body[data-error="true"]');
    const alert = page.locator('[role="alert"]');
    expect(await alert.isVisible()).toBe(true);
    expect(await alert.textContent()).toContain('The database is not answering.');
    expect(await page.locator('#cards div').count()).toBe(0);
    expect(await page.locator('#districts tbody tr').count()).toBe(0);

    // And the next good answer brings them back and hides the message.
    await page.unroute('**/dashboard/api/summary*');
    await page.click('#filters button');
    await page.waitForFunction(() => !document.body.hasAttribute('data-error'));
    expect(await page.locator('#cards div').count()).toBeGreaterThan(0);
    expect(await alert.isVisible()).toBe(false);
    expect(errors).toEqual([]);
  }, 90_000);
});
