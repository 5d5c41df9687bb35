// The red team's HTML report: one self-contained file (inline CSS, no scripts, no external
// resources) with the summary, a table of scenarios and each scenario's timeline.
import { writeFile } from 'node:fs/promises';
import type { ExpectationResult, RedteamReport, ScenarioResult } from '../redteam-result.js';
import { byteCount, duration, esc, percent, utcTime } from './report-format.js';
import { REPORT_CSS } from './report-style.js';
import { renderScenario, scenarioAnchor } from './scenario-timeline.js';

export function renderHtmlReport(report: RedteamReport): string {
  const failed = report.summary.failed > 0;
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>praetor red team: ${failed ? `${report.summary.failed} failed` : 'all passed'}</title>
<style>${REPORT_CSS}</style>
</head>
<body><main>
${renderHeader(report)}
<h2>Scenarios</h2>
${renderTable(report.scenarios)}
<h2>Timelines</h2>
${report.scenarios.map(renderScenario).join('\n')}
</main></body>
</html>
`;
}

export async function writeHtmlReport(path: string, report: RedteamReport): Promise<void> {
  await writeFile(path, renderHtmlReport(report));
}

function renderHeader(r: RedteamReport): string {
  const s = r.summary;
  const total = s.passed + s.failed;
  const verdict =
    s.failed === 0 ? `All ${total} scenarios passed` : `${s.failed} of ${total} ${total === 1 ? 'scenario' : 'scenarios'} failed`;
  const figures = [
    figure('Recall', percent(s.recall), `${s.detected} of ${s.adversarial} adversarial detected`, tone(s.recall >= 1)),
    figure('False-alert rate', percent(s.falseAlertRate), `${s.falseAlertScenarios} of ${s.benign} benign alerted`, tone(s.falseAlertScenarios === 0)),
    figure('Containment', percent(s.containment), `${s.contained} of ${s.adversarial} adversarial contained`, tone(s.contained === s.adversarial)),
    figure('Bytes to disallowed hosts', s.bytesToDisallowed.toLocaleString('en-US'), byteCount(s.bytesToDisallowed), tone(s.bytesToDisallowed === 0)),
    figure('Passed', String(s.passed), `of ${total} scenarios`, s.passed === total ? 'good' : 'neutral'),
    figure('Failed', String(s.failed), `of ${total} scenarios`, tone(s.failed === 0)),
  ];
  return `<header class="card" id="summary">
<h1>praetor red team report</h1>
<div class="meta"><span>${esc(utcTime(r.startedAt))}</span><span>took ${esc(duration(r.endedAt - r.startedAt))}</span><span>host <code>${esc(r.host)}</code></span><span>praetor ${esc(r.praetorVersion)}</span><span>suites: ${esc(r.suites.join(', '))}</span></div>
<div class="verdict ${s.failed === 0 ? 'passed' : 'failed'}">${esc(verdict)}</div>
<div class="figures">${figures.join('')}</div>
</header>`;
}

type Tone = 'good' | 'bad' | 'neutral';

function tone(good: boolean): Tone {
  return good ? 'good' : 'bad';
}

function figure(label: string, value: string, detail: string, state: Tone): string {
  return `<div class="figure ${state}"><div class="label">${esc(label)}</div><div class="value">${esc(value)}</div><div class="detail">${esc(detail)}</div></div>`;
}

function renderTable(scenarios: readonly ScenarioResult[]): string {
  const head = ['Suite', 'Scenario', 'Expected technique@step', 'Detected', 'Blocked', 'Time to detect', 'Bytes to disallowed', 'False alerts', 'Result'];
  const rows = scenarios.map((s) => {
    const verdict = s.passed ? 'passed' : 'failed';
    const cells = [
      `<td><span class="pill suite">${esc(s.suite)}</span></td>`,
      `<td class="scenario-cell"><a href="#${esc(scenarioAnchor(s.id))}">${esc(s.title)}</a><div class="meta mono">${esc(s.id)}</div></td>`,
      `<td class="lines mono">${lines(s.expectations, (e) => esc(`${e.technique}@${e.step}`))}</td>`,
      `<td class="lines">${lines(s.expectations, detectedCell)}</td>`,
      `<td>${blockedCell(s)}</td>`,
      `<td class="lines num">${lines(s.expectations, (e) => (e.timeToDetectMs === null ? '<span class="none">—</span>' : esc(duration(e.timeToDetectMs))))}</td>`,
      `<td class="num${s.bytesToDisallowed > 0 ? ' no' : ''}">${esc(s.bytesToDisallowed.toLocaleString('en-US'))}</td>`,
      `<td class="num${s.falseAlerts.length > 0 ? ' no' : ''}">${s.falseAlerts.length}</td>`,
      `<td><span class="pill ${verdict}">${verdict.toUpperCase()}</span></td>`,
    ];
    return `<tr class="${verdict}" data-scenario="${esc(s.id)}">${cells.join('')}</tr>`;
  });
  return `<table id="scenarios"><thead><tr>${head.map((h) => `<th>${esc(h)}</th>`).join('')}</tr></thead>
<tbody>
${rows.join('\n')}
</tbody></table>`;
}

/** One line per expectation, so the expected, detected and time columns read across. */
function lines(expectations: readonly ExpectationResult[], cell: (e: ExpectationResult) => string): string {
  if (expectations.length === 0) return '<span class="none">—</span>';
  return expectations.map((e) => `<div>${cell(e)}</div>`).join('');
}

function detectedCell(e: ExpectationResult): string {
  if (!e.detected) return '<span class="no">✗ missed</span>';
  // One line per expectation keeps the columns aligned: the first rule, the others in the tooltip
  // and on the step in the timeline.
  const [first = '', ...others] = e.ruleIds;
  const more = others.length === 0 ? '' : ` <span class="meta">+${others.length}</span>`;
  return `<span class="yes">✓</span> <span class="mono" title="${esc(e.ruleIds.join(', '))}">${esc(first)}</span>${more}`;
}

function blockedCell(s: ScenarioResult): string {
  const { expected, enforcedAt, ok } = s.blocked;
  if (expected.length === 0) return '<span class="none">—</span>';
  if (ok) return `<span class="yes">yes</span> <span class="meta">${expected.length === 1 ? 'step' : 'steps'} ${esc(expected.join(', '))}</span>`;
  const at = enforcedAt.length === 0 ? 'never acted' : `acted at ${enforcedAt.join(', ')}`;
  return `<span class="no">no</span> <span class="meta">expected ${esc(expected.join(', '))}; ${esc(at)}</span>`;
}
