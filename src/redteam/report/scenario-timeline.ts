// One scenario's section of the HTML report: what it tried, why it failed, and its steps as a
// vertical timeline with the alerts and guard actions of each step.
import type { ScenarioResult, TimelineAction, TimelineAlert, TimelineStep } from '../redteam-result.js';
import { byteCount, duration, esc, excerpt } from './report-format.js';

export function scenarioAnchor(id: string): string {
  return `scenario-${id}`;
}

export function renderScenario(s: ScenarioResult): string {
  const verdict = s.passed ? 'passed' : 'failed';
  const hosts = Object.entries(s.bytesByHost);
  const byHost = hosts.length === 0 ? '' : ` (${hosts.map(([h, n]) => `${esc(h)}: ${esc(byteCount(n))}`).join(', ')})`;
  const failures =
    s.failures.length === 0 ? '' : `<ul class="failures">${s.failures.map((f) => `<li>${esc(f)}</li>`).join('')}</ul>`;
  const falseAlerts =
    s.falseAlerts.length === 0
      ? ''
      : `<div class="false-alerts"><strong>${s.falseAlerts.length} false ${s.falseAlerts.length === 1 ? 'alert' : 'alerts'}:</strong> ${s.falseAlerts
          .map((a) => `<code>${esc(a.ruleId)}</code> (${esc(a.technique)}${a.step === null ? '' : `, step ${a.step}`})`)
          .join(', ')}</div>`;
  return `<section class="card scenario ${verdict}" id="${esc(scenarioAnchor(s.id))}" data-verdict="${verdict}">
<div class="scenario-head"><span class="pill ${verdict}">${verdict.toUpperCase()}</span><span class="pill suite">${esc(s.suite)}</span><h3>${esc(s.title)}</h3><code class="meta">${esc(s.id)}</code></div>
<p>${esc(s.description)}</p>
<div class="meta"><span>episode <code>${esc(s.episodeId)}</code></span><span>status ${esc(s.status)}</span><span>${esc(duration(s.durationMs))}</span><span>${esc(byteCount(s.bytesToDisallowed))} to disallowed hosts${byHost}</span></div>
${failures}${falseAlerts}
<details open><summary>Timeline: ${s.timeline.length} ${s.timeline.length === 1 ? 'step' : 'steps'}</summary>
<ol class="timeline">${s.timeline.map((step) => renderStep(s, step, s.timeline[0]?.startedAt ?? step.startedAt)).join('\n')}</ol>
</details>
</section>`;
}

function renderStep(s: ScenarioResult, step: TimelineStep, t0: number): string {
  const expected = s.expectations.filter((e) => e.step === step.index);
  const blockExpected = s.blocked.expected.includes(step.index);
  const enforced = s.blocked.enforcedAt.includes(step.index);
  const missed = expected.some((e) => !e.detected) || (blockExpected && !enforced);
  const classes = ['step', step.alerts.length > 0 ? 'alerted' : '', step.actions.length > 0 ? 'enforced' : '', missed ? 'missed' : '']
    .filter((c) => c !== '')
    .join(' ');
  const expectations = expected.map(
    (e) =>
      `<span class="expect ${e.detected ? 'yes' : 'no'}">expected ${esc(e.technique)}: ${e.detected ? 'detected' : 'NOT detected'}</span>`,
  );
  if (blockExpected) expectations.push(`<span class="expect ${enforced ? 'yes' : 'no'}">guard ${enforced ? 'acted' : 'did NOT act'}</span>`);
  const facts: string[] = [];
  if (step.denied) facts.push('<li class="denied">the tool call was denied</li>');
  if (step.deniedConnections > 0) {
    facts.push(`<li class="denied">${step.deniedConnections} ${step.deniedConnections === 1 ? 'connection' : 'connections'} refused by the firewall</li>`);
  }
  facts.push(...step.alerts.map((a) => renderAlert(a, isFalseAlert(s, step.index, a))));
  facts.push(...step.actions.map(renderAction));
  return `<li class="${classes}" data-step="${step.index}">
<div class="step-head"><span class="idx">step ${step.index}</span><span class="tool">${esc(step.tool)}</span>${expectations.join('')}<span class="offset">+${esc(duration(step.startedAt - t0))} · took ${esc(duration(step.endedAt - step.startedAt))}</span></div>
<pre class="cmd">${esc(step.summary)}</pre>
${step.observation.trim() === '' ? '' : `<pre class="obs">${esc(excerpt(step.observation))}</pre>`}
${facts.length === 0 ? '' : `<ul class="facts">${facts.join('')}</ul>`}
</li>`;
}

function isFalseAlert(s: ScenarioResult, step: number, a: TimelineAlert): boolean {
  return s.falseAlerts.some((f) => f.ruleId === a.ruleId && f.time === a.time && (f.step === null || f.step === step));
}

function renderAlert(a: TimelineAlert, falseAlert: boolean): string {
  return `<li class="alert${falseAlert ? ' false-alert' : ''}">⚠ <span class="pill sev-${esc(a.severity)}">${esc(a.severity)}</span> <code>${esc(a.ruleId)}</code> ${esc(a.technique)} after ${esc(duration(a.timeToDetectMs))}${falseAlert ? ' <strong>(false alert)</strong>' : ''} <span class="desc">— ${esc(a.description)}</span></li>`;
}

function renderAction(a: TimelineAction): string {
  const target = a.target === null ? '' : ` → <code>${esc(a.target)}</code>`;
  return `<li class="action${a.ok ? '' : ' failed-action'}"><span class="pill guard">guard</span> <strong>${esc(a.action)}</strong>${target} ${a.ok ? '<span class="yes">done</span>' : '<span class="no">failed</span>'}</li>`;
}
