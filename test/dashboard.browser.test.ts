import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import request from 'supertest';
import pino from 'pino';
import { createApp } from '../src/app';
import { createContext } from '../src/context';
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
const launchBrowser = () =>
  chromium.launch({
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
const listen = async (app: http.RequestListener) => {
  const server = http.createServer(app);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { server, base: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
};

describeBrowser('dashboard in a real browser', () => {
  let t: TestServer;
  let server: http.Server;
  let base: string;
  let browser: Browser;

  beforeAll(async () => {
    t = await startTestServer();
    t.clock.set(TEMPLATE_NOW.toISOString());
    ({ server, base } = await listen(t.app));
    browser = await launchBrowser();
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
    await page.route('**/dashboard/api/config?*', async (route) => {
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

describeBrowser('dashboard of a server hosting two cities', () => {
  const FIXTURES = path.resolve(__dirname, 'fixtures/bloomington');
  const fixture = (name: string) => fs.readFileSync(path.join(FIXTURES, name), 'utf8');
  const BLOOMINGTON = JSON.parse(fixture('jurisdiction.json')) as { id: string; name: string };
  let t: TestServer;
  let browser: Browser;
  /** No DEFAULT_JURISDICTION: a page naming no city must offer the choice. */
  let plain: { server: http.Server; base: string };
  /** The same database with DEFAULT_JURISDICTION=boston. */
  let withDefault: { server: http.Server; base: string };

  beforeAll(async () => {
    t = await startTestServer();
    t.clock.set(TEMPLATE_NOW.toISOString());
    const admin = (url: string) =>
      request(t.app).post(`/admin/v1${url}`).set('Authorization', `Bearer ${ADMIN_KEY}`);
    await admin('/jurisdictions').send(BLOOMINGTON).expect(201);
    await admin(`/jurisdictions/${BLOOMINGTON.id}/geography/boundary`)
      .set('Content-Type', 'application/geo+json')
      .send(fixture('boundary.geojson'))
      .expect(201);
    await admin(`/jurisdictions/${BLOOMINGTON.id}/geography/districts:area`)
      .set('Content-Type', 'application/geo+json')
      .send(fixture('districts-area.geojson'))
      .expect(201);
    plain = await listen(t.app);
    const ctx = createContext({
      config: { ...t.ctx.config, defaultJurisdiction: 'boston' },
      db: t.db,
      logger: pino({ level: 'silent' }),
      clock: t.clock.now,
    });
    withDefault = await listen(createApp(ctx));
    browser = await launchBrowser();
  }, 120_000);
  afterAll(async () => {
    await browser?.close();
    plain?.server.close();
    withDefault?.server.close();
    await t?.close();
  });

  /** Opens `url`, recording page errors and every call the page makes. */
  const open = async (url: string) => {
    const page = await browser.newPage({ viewport: { width: 1200, height: 1600 } });
    const errors: string[] = [];
    const calls: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    page.on('request', (r) => calls.push(r.url()));
    await page.goto(url);
    return { page, errors, calls };
  };
  const linksOf = (page: import('playwright-core').Page) =>
    page.$$eval('a[href*="/open311/"], #cards a', (as) => as.map((a) => (a as HTMLAnchorElement).href));

  it('when a resident opens /dashboard/ naming no city, then the page offers each city, and following one shows its figures with its id on every call and link', async () => {
    const { page, errors, calls } = await open(`${plain.base}/dashboard/`);
    await page.waitForSelector('body[data-choice="true"]');
    expect(await page.locator('#cities').isVisible()).toBe(true);
    expect(await page.locator('#cities-title').textContent()).toBe('Choose a city');
    const choices = await page.$$eval('#cities-list a', (as) =>
      as.map((a) => ({ text: a.textContent, href: a.getAttribute('href') })),
    );
    expect(choices).toEqual(
      [
        { text: BLOOMINGTON.name, href: `/dashboard/?jurisdiction_id=${BLOOMINGTON.id}` },
        { text: 'City of Boston (demo data)', href: '/dashboard/?jurisdiction_id=boston' },
      ].sort((a, b) => a.href.localeCompare(b.href)),
    );
    expect(await page.locator('main').isVisible()).toBe(false);
    expect(await page.locator('#filters').isVisible()).toBe(false);
    await page.evaluate(fs.readFileSync(AXE_SOURCE, 'utf8'));
    const violations = await page.evaluate(async () => {
      type Violation = { id: string; impact: string | null };
      const axe = (window as unknown as { axe: { run(): Promise<{ violations: Violation[] }> } }).axe;
      return (await axe.run()).violations
        .filter((v) => v.impact === 'serious' || v.impact === 'critical')
        .map((v) => v.id);
    });
    expect(violations).toEqual([]);
    fs.mkdirSync(path.resolve(__dirname, '../test-output'), { recursive: true });
    await page.screenshot({
      path: path.resolve(__dirname, '../test-output/dashboard-choice.png'),
      fullPage: true,
    });

    calls.length = 0;
    await page.click(`#cities-list a[data-jurisdiction="${BLOOMINGTON.id}"]`);
    await page.waitForSelector('body[data-ready="true"]');
    await page.waitForSelector('#map[data-features]');
    expect(await page.locator('#city').textContent()).toBe(BLOOMINGTON.name);
    expect(await page.getAttribute('#map', 'data-layer')).toBe('area');
    expect(Number(await page.getAttribute('#map', 'data-features'))).toBeGreaterThan(0);
    // Boston is offered beside it.
    expect(await page.locator('#cities-title').textContent()).toBe('Other cities');
    expect(await page.$$eval('#cities-list a', (as) => as.map((a) => a.getAttribute('href')))).toEqual([
      '/dashboard/?jurisdiction_id=boston',
    ]);
    const api = calls.filter((u) => u.includes('/dashboard/api/') && !u.includes('/api/jurisdictions'));
    expect(api.length).toBeGreaterThanOrEqual(4);
    for (const u of api) expect(new URL(u).searchParams.get('jurisdiction_id')).toBe(BLOOMINGTON.id);
    const links = await linksOf(page);
    expect(links.length).toBeGreaterThan(5);
    for (const u of links) expect(new URL(u).searchParams.get('jurisdiction_id')).toBe(BLOOMINGTON.id);
    // And the links answer (a link without the city would be a 400 on this server).
    const exportLink = await page.getAttribute('#export-link', 'href');
    expect((await request(t.app).get(exportLink as string)).status).toBe(200);
    expect(
      (await request(t.app).get((await page.getAttribute('#discovery-link', 'href')) as string)).body.contact,
    ).toContain('Bloomington');
    expect(errors).toEqual([]);
  }, 90_000);

  it('when Boston is named, then its figures match its SLA report and its links name it', async () => {
    const { page, errors } = await open(`${plain.base}/dashboard/?jurisdiction_id=boston`);
    await page.waitForSelector('body[data-ready="true"]');
    await page.waitForSelector('#map[data-features]');
    expect(await page.getAttribute('#map', 'data-layer')).toBe('ward');
    const start = await page.inputValue('#start');
    const end = await page.inputValue('#end');
    const report = await request(t.app)
      .get(`/admin/v1/reports/sla?jurisdiction_id=boston&start_date=${start}&end_date=${end}`)
      .set('Authorization', `Bearer ${ADMIN_KEY}`);
    const share = report.body.rows[0].on_time_share as number;
    const shown = await page
      .locator('#cards div', { hasText: 'Closed within response level' })
      .locator('dd')
      .textContent();
    expect(shown).toBe(`${Math.round(share * 1000) / 10}%`);
    for (const u of await linksOf(page))
      expect(new URL(u).searchParams.get('jurisdiction_id')).toBe('boston');
    const areaLink = await page.locator('#districts tbody td a').first().getAttribute('href');
    expect((await request(t.app).get(areaLink as string)).status).toBe(200);
    expect(errors).toEqual([]);
  }, 90_000);

  it('when a city not served here is named, then the page says so and offers the cities', async () => {
    const { page, errors } = await open(`${plain.base}/dashboard/?jurisdiction_id=nowhere`);
    await page.waitForSelector('body[data-choice="true"]');
    expect(await page.locator('#cities-note').textContent()).toMatch(/"nowhere" is not served here/);
    expect(await page.locator('#cities-list a').count()).toBe(2);
    expect(errors).toEqual([]);
  }, 60_000);

  it('when DEFAULT_JURISDICTION is set, then /dashboard/ shows that city and the other city has its own page', async () => {
    const first = await open(`${withDefault.base}/dashboard/`);
    await first.page.waitForSelector('body[data-ready="true"]');
    expect(await first.page.locator('#city').textContent()).toBe('City of Boston (demo data)');
    expect(await first.page.getAttribute('body', 'data-jurisdiction')).toBe('boston');
    const other = await open(`${withDefault.base}/dashboard/?jurisdiction_id=${BLOOMINGTON.id}`);
    await other.page.waitForSelector('body[data-ready="true"]');
    expect(await other.page.locator('#city').textContent()).toBe(BLOOMINGTON.name);
    expect(await other.page.getAttribute('#map', 'data-layer')).toBe('area');
    expect([...first.errors, ...other.errors]).toEqual([]);
  }, 90_000);
});

describeBrowser('dashboard of a city without district layers, in a real browser', () => {
  let t: TestServer;
  let server: http.Server;
  let base: string;
  let browser: Browser;

  beforeAll(async () => {
    t = await startTestServer();
    t.clock.set(TEMPLATE_NOW.toISOString());
    const admin = (url: string) =>
      request(t.app).post(`/admin/v1${url}`).set('Authorization', `Bearer ${ADMIN_KEY}`);
    // Created with the admin API, one service, no geography imported yet.
    await admin('/jurisdictions')
      .send({ id: 'springfield', name: 'Springfield', time_zone: 'America/Chicago' })
      .expect(201);
    await admin('/jurisdictions/springfield/services')
      .send({ service_code: 'SPR-POTHOLE', service_name: 'Springfield pothole' })
      .expect(201);
    const key = await request(t.app)
      .post('/admin/v1/api-keys')
      .set('Authorization', `Bearer ${ADMIN_KEY}`)
      .send({ name: 'spring', role: 'client', channel: 'mobile', jurisdiction_id: 'springfield' })
      .expect(201);
    await request(t.app)
      .post('/open311/v2/requests.json')
      .type('form')
      .send({
        api_key: key.body.api_key,
        jurisdiction_id: 'springfield',
        service_code: 'SPR-POTHOLE',
        lat: 39.7817,
        long: -89.6501,
      })
      .expect(201);
    ({ server, base } = await listen(t.app));
    browser = await launchBrowser();
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    server?.close();
    await t?.close();
  });

  it('when a resident opens its page, then the city-wide figures show, no layer is sent, and the area choice and table are left out', async () => {
    const page = await browser.newPage({ viewport: { width: 1200, height: 1600 } });
    const errors: string[] = [];
    const calls: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    page.on('console', (m) => {
      if (m.type() === 'error') errors.push(m.text());
    });
    page.on('request', (r) => calls.push(r.url()));
    await page.goto(`${base}/dashboard/?jurisdiction_id=springfield`);
    await page.waitForSelector('body[data-ready="true"]');
    await page.waitForSelector('#map[data-features]');
    expect(await page.getAttribute('body', 'data-error')).toBeNull();
    expect(await page.getAttribute('body', 'data-no-areas')).toBe('true');
    expect(await page.getAttribute('#map', 'data-features')).toBe('0');
    expect(await page.locator('#layer-field').isVisible()).toBe(false);
    expect(await page.locator('#areas').isVisible()).toBe(false);
    expect(await page.locator('#channels').isVisible()).toBe(true);
    const received = await page
      .locator('#cards div', { hasText: 'Requests received' })
      .locator('dd')
      .textContent();
    expect(received).toBe('1');
    expect(await page.locator('#spread').textContent()).toMatch(/no areas set up yet/);
    const summaries = calls.filter((u) => u.includes('/dashboard/api/summary'));
    expect(summaries.length).toBe(1);
    expect(new URL(summaries[0] as string).searchParams.has('layer')).toBe(false);
    expect(calls.filter((u) => /\/api\/layers\/(?!boundary)/.test(u))).toEqual([]);
    // Updating the period works the same.
    await page.click('#filters button[type="submit"]');
    await page.waitForFunction(() => !document.body.hasAttribute('aria-busy'));
    expect(await page.getAttribute('body', 'data-error')).toBeNull();
    expect(errors).toEqual([]);
  }, 90_000);
});
