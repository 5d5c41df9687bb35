// The dashboard under load, in Chromium, without root: the service in-process over the in-memory
// backend with 200 sandboxes and 1,000 alerts. Prints the time to render the live page, to show a
// new alert on top of them, to filter them, and to list the sandboxes; asserts only what a person
// would see (every row, the filter's result) and a generous sanity bound, never a speed target.
// Also: nothing is requested but the daemon, no console error (a CSP refusal would be one), the
// keyboard reaches the pages, and a phone-width page does not scroll sideways.
import * as assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Browser } from 'playwright-core';
import { startDashboardWorld, type DashboardWorld } from '../testing/dashboard-world.js';
import { launchBrowser, login, onlyTo, openPage } from '../testing/dashboard-browser.js';

const SANDBOXES = 200;
const ALERTS = 1000;
const SANITY_MS = 30_000;

describe('dashboard with 1,000 alerts and 200 sandboxes', () => {
  let world: DashboardWorld;
  let browser: Browser;
  let admin = '';
  const ids: string[] = [];

  before(async () => {
    world = await startDashboardWorld();
    const key = world.key('admin');
    admin = key.token;
    for (let i = 0; i < SANDBOXES; i++) ids.push((await world.sandboxes.create(key.principal, {} as never)).id);
    const now = Date.now();
    for (let i = 0; i < ALERTS; i++) world.alert(ids[i % SANDBOXES] ?? '', 1 + (i % 7), i, now - (ALERTS - i) * 1000);
    for (const id of ids) {
      for (let s = 0; s < 5; s++) {
        world.bus.publish({ kind: 'resource-sample', sandboxId: id, step: null, time: now - (5 - s) * 1000, scope: 'sandbox', cpuSeconds: s, cpuCores: 0.1 * s, intervalMs: 1000, memoryBytes: 2 ** 20 * (10 + s), pids: 3, stepRunning: null });
      }
    }
    browser = await launchBrowser();
  });

  after(async () => {
    await browser?.close();
    await world?.close();
  });

  it('renders, updates, filters and lists without stalling, and prints the times', async () => {
    const watched = await openPage(browser);
    const { page, requests, consoleErrors } = watched;
    await login(watched, world.base, admin);
    const rows = page.locator('table.alerts tbody tr');

    await page.goto('about:blank');
    let t = performance.now();
    await page.goto(`${world.base}/ui/#/live`);
    await page.waitForFunction((n) => document.querySelectorAll('table.alerts tbody tr').length === n, ALERTS, { timeout: SANITY_MS });
    const renderMs = performance.now() - t;
    assert.equal(await rows.count(), ALERTS);
    await page.locator('.dot.on').waitFor({ timeout: SANITY_MS });

    t = performance.now();
    const fresh = world.alert(ids[0] ?? '', 9, 0);
    await page.locator(`tr[data-alert="${String(fresh.data.id)}"]`).waitFor({ timeout: SANITY_MS });
    const liveMs = performance.now() - t;
    assert.equal(await rows.first().getAttribute('data-alert'), fresh.data.id, 'the new alert is on top');

    t = performance.now();
    await page.getByLabel('rule or technique').fill('T1572');
    await page.waitForFunction(() => [...document.querySelectorAll('table.alerts tbody tr')].every((r) => r.textContent?.includes('T1572')), undefined, { timeout: SANITY_MS });
    const filterMs = performance.now() - t;
    assert.equal(await rows.count(), ALERTS / 5, 'one alert in five is a T1572');

    t = performance.now();
    await page.getByRole('link', { name: 'Sandboxes' }).click();
    await page.waitForFunction((n) => document.querySelectorAll('table.sandboxes tbody tr').length === n, SANDBOXES, { timeout: SANITY_MS });
    const sandboxesMs = performance.now() - t;

    console.log(
      `# dashboard, ${ALERTS} alerts and ${SANDBOXES} sandboxes: live page rendered in ${renderMs.toFixed(0)} ms, ` +
        `a new alert shown in ${liveMs.toFixed(0)} ms, filter applied in ${filterMs.toFixed(0)} ms, sandboxes listed in ${sandboxesMs.toFixed(0)} ms`,
    );
    for (const ms of [renderMs, liveMs, filterMs, sandboxesMs]) assert.ok(ms < SANITY_MS);

    // One sandbox in detail: its charts are drawn (uPlot canvases) from the samples.
    await page.locator(`tr[data-sandbox="${ids[3] ?? ''}"] a`).click();
    await page.locator('.chart canvas').first().waitFor({ timeout: SANITY_MS });
    assert.equal(await page.locator('.chart canvas').count(), 3);
    assert.deepEqual(onlyTo(world.base, requests), [], 'no request to anything but the daemon');
    assert.deepEqual(consoleErrors, [], 'no console error (a CSP refusal would be one)');
    await page.context().close();
  });

  it('is usable with the keyboard and at phone width', async () => {
    const watched = await openPage(browser, 390, 844);
    const { page } = watched;
    await login(watched, world.base, admin);
    await page.goto(`${world.base}/ui/#/live`);
    await page.locator('table.alerts tbody tr').first().waitFor();
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    assert.ok(overflow <= 1, `the page scrolls sideways by ${overflow} px at 390 px wide`);
    // Tab from the top: the skip link, then the pages; Enter follows a link.
    await page.keyboard.press('Tab');
    assert.equal(await page.evaluate(() => document.activeElement?.textContent), 'Skip to content');
    await page.keyboard.press('Tab');
    await page.keyboard.press('Tab');
    assert.equal(await page.evaluate(() => document.activeElement?.textContent), 'Sandboxes');
    await page.keyboard.press('Enter');
    await page.waitForFunction(() => location.hash === '#/sandboxes');
    await page.locator('table.sandboxes tbody tr').first().waitFor();
    await page.context().close();
  });
});
