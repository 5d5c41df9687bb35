// The dashboard against a real praetord (root): a person logs in with a key, a sandbox started
// through the API runs a miner, and the alert appears on the open live page, without a reload,
// within 2 s of the guard raising it, naming the step that ran the miner; the step shows the command
// and the guard's action. A read-only key sees the sandbox but no destroy button, and its destroy
// through the API is refused (403). Screenshots land in $PRAETOR_SCREENSHOTS (docs/ refreshes them).
import * as assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Browser } from 'playwright-core';
import { DaemonProcess } from '../service/testing/daemon-process.js';
import { MINER, WALLET } from '../testing/miner-test-kit.js';
import { launchBrowser, login, onlyTo, openPage } from '../testing/dashboard-browser.js';
import { pngSize } from '../testing/png-pixels.js';

describe('dashboard on a live daemon', () => {
  let d: DaemonProcess;
  let browser: Browser;
  let shots = '';
  let owner = '';
  let reader = '';

  before(async () => {
    d = await DaemonProcess.start(['--pool', '1', '--guard', 'block']);
    owner = await d.createKey('sandboxes');
    reader = await d.createKey('read');
    browser = await launchBrowser();
    shots = process.env.PRAETOR_SCREENSHOTS ?? (await mkdtemp(join(tmpdir(), 'praetor-dash-shots-')));
  });

  after(async () => {
    await browser?.close();
    await d?.stop();
    d?.cleanup();
    if (!process.env.PRAETOR_SCREENSHOTS && shots) await rm(shots, { recursive: true, force: true });
  });

  it('shows the miner alert live with its step, the command and the guard action; a read-only key changes nothing', async () => {
    const base = `http://127.0.0.1:${d.port}`;
    const watched = await openPage(browser);
    const { page, requests, consoleErrors } = watched;
    await login(watched, base, owner);
    await page.locator('.dot.on').waitFor({ timeout: 10_000 });

    const created = await d.call('POST', '/v1/sandboxes', { key: owner, body: {} });
    assert.equal(created.status, 201);
    const id = String(created.json.id);
    assert.equal((await d.call('PUT', `/v1/sandboxes/${id}/files?path=/tmp/miner`, { key: owner, raw: readFileSync(MINER) })).status, 204);
    assert.equal((await d.call('POST', `/v1/sandboxes/${id}/exec`, { key: owner, body: { command: ['chmod', '+x', '/tmp/miner'] } })).status, 200);

    // The page records when the first alert row of this sandbox is added to it.
    await page.evaluate((sandbox) => {
      const w = window as unknown as { seenAt?: number };
      new MutationObserver((_m, obs) => {
        if (document.querySelector(`tr.alert[data-sandbox="${sandbox}"]`)) {
          w.seenAt = Date.now();
          obs.disconnect();
        }
      }).observe(document.body, { childList: true, subtree: true });
    }, id);
    const url = page.url();
    const exec = await d.call('POST', `/v1/sandboxes/${id}/exec`, {
      key: owner,
      body: { command: ['/tmp/miner', '-o', 'stratum+tcp://127.0.0.1:3333', '-u', WALLET, '-p', 'x', '-t', '1', '--max-cpu-usage', '20', '--run-seconds', '5'] },
    });
    assert.equal(exec.status, 200);
    const step = exec.json.step as number;
    const alerts = exec.json.alerts as { id: string; ruleId: string; time: number; step: number }[];
    const first = alerts.filter((a) => a.ruleId.startsWith('miner')).sort((a, b) => a.time - b.time)[0];
    assert.ok(first, `the exec raised a miner alert: ${alerts.map((a) => a.ruleId).join(', ')}`);
    const row = page.locator(`tr.alert[data-alert="${first.id}"]`);
    await row.waitFor({ timeout: 5_000 });
    const seenAt = await page.evaluate(() => (window as unknown as { seenAt?: number }).seenAt ?? 0);
    const delay = seenAt - first.time;
    console.log(`# the miner alert was on the live page ${delay} ms after the guard raised it`);
    assert.ok(seenAt > 0 && delay < 2000, `alert shown ${delay} ms after it fired`);
    assert.equal(page.url(), url, 'no reload, no navigation');
    assert.equal(await row.getAttribute('data-step'), String(step), 'the row names the step that ran the miner');
    await page.screenshot({ path: join(shots, 'dashboard-live.png') });

    // Open the step: the command that ran and what the guard did.
    await row.locator('a.step-link').click();
    const detail = page.locator('#step-detail');
    await detail.waitFor();
    assert.match(await detail.locator('.step-command').innerText(), /\/tmp\/miner -o stratum\+tcp:\/\/127\.0\.0\.1:3333/);
    await detail.locator('.guard-actions li').first().waitFor({ timeout: 5_000 });
    assert.match(await detail.locator('.guard-actions').innerText(), /kill-(tree|step)/);
    assert.equal(await page.getByRole('button', { name: 'Destroy' }).count(), 1, 'the owner may destroy');
    // The sandbox's telemetry as the charts get it: resource samples from the guard's sampler and
    // the miner's step with its command.
    const telemetry = await d.call('GET', `/v1/sandboxes/${id}/telemetry`, { key: owner });
    const t = telemetry.json as { samples: { cpuCores: number }[]; steps: { step: number; argv: string[] }[] };
    assert.ok(t.samples.length > 0, 'resource samples kept');
    assert.equal(t.steps.find((s) => s.step === step)?.argv[0], '/tmp/miner');
    assert.equal(await page.locator('.chart canvas').count(), 3, 'CPU, memory and GPU charts drawn');
    assert.deepEqual(onlyTo(base, requests), []);
    assert.deepEqual(consoleErrors, []);

    // A read-only key: the same sandbox, no buttons; the API refuses its destroy.
    const ro = await openPage(browser);
    await login(ro, base, reader);
    await ro.page.goto(`${base}/ui/#/sandboxes/${id}`);
    await ro.page.locator('h2', { hasText: `Sandbox ${id}` }).waitFor();
    assert.equal(await ro.page.getByRole('button', { name: 'Destroy' }).count(), 0);
    assert.equal(await ro.page.getByRole('button', { name: 'Freeze' }).count(), 0);
    const refused = await d.call('DELETE', `/v1/sandboxes/${id}`, { key: reader });
    assert.equal(refused.status, 403);
    assert.equal((await d.call('GET', `/v1/sandboxes/${id}`, { key: owner })).json.state !== 'destroyed', true);
    // The read-only session cookie can not destroy either, header or not.
    const viaCookie = await ro.page.evaluate(async (sid) => (await fetch(`/v1/sandboxes/${sid}`, { method: 'DELETE', headers: { 'x-praetor-ui': '1' } })).status, id);
    assert.equal(viaCookie, 403);
    const png = await readFile(join(shots, 'dashboard-live.png'));
    assert.equal(pngSize(png).width, 1280);
    await ro.page.context().close();
    await page.context().close();
  });
});
