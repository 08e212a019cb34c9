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
});
