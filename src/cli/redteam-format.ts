// How red-team results read in a terminal: the table of scenarios, the summary, and the live
// account the demo prints step by step.
import type { Alert } from '../detect/alert.js';
import type { RedteamBreakdown, RedteamReport, ScenarioResult } from '../redteam/redteam-result.js';
import type { StepRecord } from '../episode/episode-model.js';
import type { Scenario } from '../redteam/scenario-schema.js';
import type { GuardAction } from '../guard/guard-policy.js';

function pct(x: number): string {
  return `${(x * 100).toFixed(1)}%`;
}

function ms(x: number | null): string {
  if (x === null) return '-';
  return x < 1000 ? `${Math.round(x)} ms` : `${(x / 1000).toFixed(1)} s`;
}

/** Plain columns padded to their widest cell; no colour, so logs and CI read the same. */
export function formatTable(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]): string =>
    cells
      .map((c, i) => c.padEnd(widths[i] ?? 0))
      .join('  ')
      .trimEnd();
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}

function scenarioRow(r: ScenarioResult): string[] {
  const adversarial = r.suite !== 'benign';
  const ttd = r.expectations.map((e) => e.timeToDetectMs).filter((x): x is number => x !== null);
  return [
    r.suite,
    r.id,
    adversarial ? r.expectations.map((e) => `${e.technique}@${e.step}`).join(' ') : 'no alert',
    adversarial ? `${r.expectations.filter((e) => e.detected).length}/${r.expectations.length}` : '-',
    r.blocked.expected.length === 0 ? '-' : r.blocked.ok ? 'yes' : 'NO',
    ttd.length === 0 ? '-' : ms(Math.max(...ttd)),
    String(r.bytesToDisallowed),
    String(r.falseAlerts.length),
    r.passed ? 'pass' : (r.needs ?? []).length > 0 ? `pending (${(r.needs ?? []).join(', ')})` : 'FAIL',
  ];
}

export function formatRedteamReport(report: RedteamReport): string {
  const rows = report.scenarios.map(scenarioRow);
  const table = formatTable(['suite', 'scenario', 'expected', 'detected', 'blocked', 'time to detect', 'bytes out', 'false alerts', 'result'], rows);
  const failures = report.scenarios
    .filter((r) => !r.passed)
    .map((r) => `  ${r.id}${(r.needs ?? []).length > 0 ? ` (pending: needs ${(r.needs ?? []).join(', ')})` : ''}:\n${r.failures.map((f) => `    - ${f}`).join('\n')}`)
    .join('\n');
  return `${table}\n\n${formatSummary(report)}${failures ? `\n\nfailures\n${failures}` : ''}\n`;
}

export function formatSummary(report: RedteamReport): string {
  const s = report.summary;
  return [
    'summary',
    `  recall:            ${s.detected}/${s.adversarial} adversarial scenarios detected at the right step and technique (${pct(s.recall)})`,
    s.benign === 0
      ? '  false alerts:      no benign scenario in this run (praetor redteam --suite benign)'
      : `  false alerts:      ${s.falseAlertScenarios}/${s.benign} benign scenarios raised an alert (${pct(s.falseAlertRate)})`,
    `  containment:       ${s.contained}/${s.adversarial} adversarial scenarios sent no byte to a disallowed host (${pct(s.containment)}); ${s.bytesToDisallowed} bytes in all`,
    `  result:            ${s.passed} passed, ${s.failed} failed, in ${((report.endedAt - report.startedAt) / 1000).toFixed(1)} s`,
    ...formatBreakdown(s.breakdown),
  ].join('\n');
}

function formatBreakdown(b: RedteamBreakdown | undefined): string[] {
  if (b === undefined) return [];
  const lines: string[] = [];
  const families = Object.entries(b.families);
  if (families.length > 0) {
    lines.push('', 'recall per family (right technique at the right step)');
    for (const [f, v] of families) lines.push(`  ${f.padEnd(18)} ${String(v.detected).padStart(3)}/${String(v.scenarios).padEnd(3)} ${pct(v.recall)}`);
    lines.push('recall per technique (expectations met)');
    for (const [t, v] of Object.entries(b.techniques)) lines.push(`  ${t.padEnd(18)} ${String(v.detected).padStart(3)}/${String(v.scenarios).padEnd(3)} ${pct(v.recall)}`);
  }
  const benign = Object.entries(b.benignFamilies);
  if (benign.length > 0) {
    lines.push('false alerts per benign family (steps with an alert / steps)');
    for (const [f, v] of benign) lines.push(`  ${f.padEnd(18)} ${String(v.falseAlertSteps).padStart(3)}/${String(v.steps).padEnd(4)} ${pct(v.falseAlertStepRate)} (${v.scenarios} sessions)`);
    lines.push(`  ${'all'.padEnd(18)} ${String(b.benign.falseAlertSteps).padStart(3)}/${String(b.benign.steps).padEnd(4)} ${pct(b.benign.falseAlertStepRate)}`);
  }
  if (b.pending.length > 0) {
    const passing = b.pending.filter((p) => p.passed).length;
    lines.push(`pending: ${b.pending.length} scenarios need signals this build lacks (${passing} pass already; counted nowhere above)`);
    for (const p of b.pending) lines.push(`  ${p.id.padEnd(40)} needs ${p.needs.join(', ')}: ${p.passed ? 'passes' : 'fails'}`);
  }
  return lines;
}

function firstLines(text: string, n: number, prefix: string): string[] {
  return text
    .trimEnd()
    .split('\n')
    .filter((l) => l.trim() !== '')
    .slice(0, n)
    .map((l) => `${prefix}${l.length > 140 ? `${l.slice(0, 140)}…` : l}`);
}

/** The demo's account of a step as it starts: what the agent is doing and the call it made. */
export function describeStepStart(scenario: Scenario, index: number): string {
  const spec = scenario.steps[index - 1];
  if (spec === undefined) return `\nstep ${index}`;
  const what = spec.tool === 'bash' ? String(spec.args.command) : `${spec.tool} ${JSON.stringify(spec.args)}`;
  return [`\nstep ${index}${spec.note ? `: ${spec.note}` : ''}`, ...firstLines(what.replace(/\s+/g, ' '), 1, `  agent ran:   `)].join('\n');
}

const ACTION_WORDS: Record<GuardAction['action'], string> = {
  record: 'recorded',
  'deny-stream': 'cut the connection',
  'kill-tree': 'killed the process tree of',
  'kill-step': 'killed every process of the step (sandbox step)',
  freeze: 'froze the sandbox',
  thaw: 'thawed the sandbox',
  terminate: 'destroyed the sandbox',
};

function describeAction(a: GuardAction): string {
  return `${ACTION_WORDS[a.action]}${a.target ? ` ${a.target}` : ''}`;
}

/** ... and as it ends: what the agent saw, and what the guard did. */
export function describeStepEnd(step: StepRecord, actions: readonly GuardAction[]): string {
  const lines = firstLines((step.observation?.content ?? '').replace(/\n?exit code \d+$/, ''), 3, '  agent saw:   ');
  for (const a of actions.filter((x) => x.action !== 'record')) {
    lines.push(`  praetor:     ${describeAction(a)}${a.ok ? '' : ` FAILED: ${a.error ?? ''}`}`);
  }
  if (step.alerts.length === 0) lines.push('  praetor:     nothing to report');
  return lines.join('\n');
}

export function describeLiveAlert(alert: Alert, agentStep: number | null): string {
  const where = agentStep === null ? 'no step' : `step ${agentStep}`;
  return `  ALERT ${where} [${alert.severity}] ${alert.technique} ${alert.ruleId}: ${alert.title}`;
}
