// The ROME replay on the dashboard (root: `praetor demo` builds the fake world): the demo's episode,
// stored in SQLite, read by a daemon started on the same store and the demo's report folder. Its
// timeline marks the three rogue steps the scenario expects (mining, reverse tunnel, probe), each
// linked from its alerts; steps without alerts are not marked; the red-team page lists the run.
import * as assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Browser } from 'playwright-core';
import { DaemonProcess, runCli } from '../service/testing/daemon-process.js';
import { launchBrowser, login, onlyTo, openPage } from '../testing/dashboard-browser.js';
import type { RedteamReport } from '../redteam/redteam-result.js';

describe('dashboard: the ROME replay episode', () => {
  let dir = '';
  let d: DaemonProcess;
  let browser: Browser;
  let report: RedteamReport;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'praetor-dash-rome-'));
    const demo = await runCli(['demo', '--store', `sqlite:${join(dir, 'episodes.db')}`, '--out', join(dir, 'reports', 'demo')]);
    assert.equal(demo.code, 0, `praetor demo failed: ${demo.stderr}`);
    report = JSON.parse(await readFile(join(dir, 'reports', 'demo', 'report.json'), 'utf8')) as RedteamReport;
    d = await DaemonProcess.start(['--pool', '0', '--store', `sqlite:${join(dir, 'episodes.db')}`, '--reports', join(dir, 'reports')]);
    browser = await launchBrowser();
  });

  after(async () => {
    await browser?.close();
    await d?.stop();
    d?.cleanup();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('marks the three rogue steps, each linked from its alerts, and lists the run', async () => {
    const rome = report.scenarios.find((s) => s.id === 'rome-replay');
    assert.ok(rome, 'the demo ran the ROME replay');
    const rogue = rome.expectations.map((e) => e.step);
    assert.deepEqual(rogue, [4, 5, 6], 'mining, the reverse tunnel and the probe');
    const base = `http://127.0.0.1:${d.port}`;
    const watched = await openPage(browser, 1280, 900);
    const { page, requests, consoleErrors } = watched;
    await login(watched, base, await d.createKey('read'));
    await page.getByRole('link', { name: 'Episodes' }).click();
    await page.locator(`tr[data-episode="${rome.episodeId}"] a`).click();
    const steps = page.locator('ol.timeline > li.step');
    await steps.first().waitFor();
    assert.equal(await steps.count(), rome.timeline.length);

    for (const t of rome.timeline) {
      const li = page.locator(`li.step[data-step="${t.index}"]`);
      const marked = ((await li.getAttribute('class')) ?? '').split(' ').includes('rogue');
      assert.equal(marked, t.alerts.length > 0, `step ${t.index} marked ${marked} with ${t.alerts.length} alerts`);
      assert.equal(await li.locator('.rogue-mark').count(), marked ? 1 : 0);
    }
    for (const n of rogue) {
      assert.match((await page.locator(`li.step[data-step="${n}"]`).getAttribute('class')) ?? '', /\brogue\b/, `step ${n} is marked`);
      const links = page.locator(`ul.episode-alerts a.alert-step[data-step="${n}"]`);
      assert.ok((await links.count()) >= 1, `step ${n} is linked from its alerts`);
      await links.first().click();
      await page.waitForFunction((s) => location.hash.endsWith(`/step/${s}`), n);
      const target = page.locator(`li#step-${n}`);
      assert.match((await target.getAttribute('class')) ?? '', /\bselected\b/);
      assert.ok(await target.isVisible());
      const box = await target.boundingBox();
      // its top at the top of the view (block: start), to the sub-pixel
      assert.ok(box && box.y >= -1 && box.y < 900, `step ${n} scrolled into view (y ${box?.y})`);
    }
    // every alert link leads to a marked step
    const linked = await page.locator('ul.episode-alerts a.alert-step').evaluateAll((as) => as.map((a) => a.getAttribute('data-step')));
    for (const s of linked) assert.match((await page.locator(`li.step[data-step="${s}"]`).getAttribute('class')) ?? '', /\brogue\b/);
    await page.locator(`li#step-${rogue[0]}`).scrollIntoViewIfNeeded();
    if (process.env.PRAETOR_SCREENSHOTS) await page.screenshot({ path: join(process.env.PRAETOR_SCREENSHOTS, 'dashboard-timeline.png') });

    await page.getByRole('link', { name: 'Red team' }).click();
    await page.getByRole('link', { name: 'demo' }).click();
    const index = page.locator('ul.scenario-index li', { hasText: 'rome-replay' });
    await index.waitFor();
    assert.match(await index.innerText(), rome.passed ? /PASSED/ : /FAILED/);
    assert.deepEqual(onlyTo(base, requests), []);
    assert.deepEqual(consoleErrors, []);
    await page.context().close();
  });
});
