/**
 * Issue #16.6: over plain HTTP at an address the browser does not treat as localhost (a VM, an intranet
 * host), the dashboard draws its map and /docs lists the operations. With `upgrade-insecure-requests`
 * the browser would fetch the page's own scripts and styles over https:// and fail.
 */
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import { chromium, type Browser } from 'playwright-core';
import { startTestServer, type TestServer } from './helpers/app';
import { TEMPLATE_NOW } from './helpers/template';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
/** The machine's own non-loopback IPv4 address: not "potentially trustworthy" to the browser. */
const lanAddress = Object.values(os.networkInterfaces())
  .flat()
  .find((a) => a && a.family === 'IPv4' && !a.internal)?.address;
const skipReason = !fs.existsSync(CHROMIUM)
  ? `no Chromium at ${CHROMIUM} (apt-get install chromium, or set CHROMIUM_PATH)`
  : lanAddress === undefined
    ? 'this machine has no non-loopback IPv4 interface to reach the server over plain HTTP'
    : null;
if (skipReason) console.warn(`Skipping the plain-HTTP browser test: ${skipReason}.`);
const describeBrowser = skipReason ? describe.skip : describe;

describeBrowser('the dashboard and /docs over plain HTTP at a non-localhost address', () => {
  let t: TestServer;
  let server: http.Server;
  let base: string;
  let browser: Browser;

  beforeAll(async () => {
    t = await startTestServer();
    t.clock.set(TEMPLATE_NOW.toISOString());
    server = http.createServer(t.app);
    await new Promise<void>((r) => server.listen(0, lanAddress, r));
    base = `http://${lanAddress}:${(server.address() as AddressInfo).port}`;
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking'],
    });
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    server?.close();
    await t?.close();
  });

  it('when the dashboard is opened, then its scripts and styles load over http and the map is drawn', async () => {
    const page = await browser.newPage();
    const failed: string[] = [];
    page.on('requestfailed', (r) => failed.push(`${r.url()} ${r.failure()?.errorText}`));
    page.on('pageerror', (e) => failed.push(e.message));
    await page.goto(`${base}/dashboard/`);
    await page.waitForSelector('#map[data-features]', { timeout: 20_000 });
    expect(Number(await page.getAttribute('#map', 'data-features'))).toBeGreaterThan(5);
    // Leaflet's stylesheet applied: the map container got its class and positioned panes.
    expect(await page.locator('#map.leaflet-container').count()).toBe(1);
    expect(
      await page.evaluate(() => getComputedStyle(document.querySelector('.leaflet-pane')!).position),
    ).toBe('absolute');
    expect(failed).toEqual([]);
  }, 60_000);

  it('when /docs is opened, then Swagger UI lists the operations', async () => {
    const page = await browser.newPage();
    await page.goto(`${base}/docs/`);
    await page.waitForSelector('.opblock', { timeout: 20_000 });
    expect(await page.locator('.opblock').count()).toBeGreaterThan(5);
  }, 60_000);
});
