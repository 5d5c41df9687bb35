// How episodes are shown to people: a list row, and a timeline of steps, alerts and outcome.
import type { EpisodeRecord, StepRecord } from '../episode/episode-model.js';

function clip(text: string, width: number): string {
  const one = text.replace(/\s+/g, ' ').trim();
  return one.length > width ? `${one.slice(0, width - 1)}…` : one;
}

export function episodeRow(e: EpisodeRecord): string {
  const reward = e.outcome === null ? '-' : e.outcome.reward.toFixed(2);
  const label = e.outcome?.safetyLabel ?? '-';
  return `${e.id}  ${e.taskId.padEnd(16)}  ${e.status.padEnd(10)}  reward ${reward.padStart(5)}  ${label.padEnd(7)}  ${e.policy}  ${new Date(e.startedAt).toISOString()}`;
}

export function describeStep(step: StepRecord, startedAt: number): string[] {
  const at = `+${((step.startedAt - startedAt) / 1000).toFixed(1)}s`;
  const lines: string[] = [];
  if (step.action) {
    lines.push(`step ${step.index} ${at} ${step.action.name} ${clip(JSON.stringify(step.action.arguments), 100)}`);
    const obs = step.observation;
    if (obs) lines.push(`    ${obs.denied ? 'DENIED ' : obs.isError ? 'error ' : ''}${clip(obs.content, 110)}`);
  } else {
    lines.push(`step ${step.index} ${at} message: ${clip(step.message ?? '', 100)}`);
  }
  if (step.sandboxSteps.length > 0) lines.push(`    sandbox exec step ${step.sandboxSteps.join(', ')}`);
  for (const a of step.alerts) lines.push(`    ALERT [${a.severity}] ${a.technique} ${a.ruleId}${a.pid === null ? '' : ` pid ${a.pid}`}: ${clip(a.description, 80)}`);
  return lines;
}

export function describeEpisode(e: EpisodeRecord, steps: readonly StepRecord[]): string {
  const lines = [
    `episode ${e.id}  task ${e.taskId}  policy ${e.policy}  sandbox ${e.sandboxId}`,
    `status ${e.status}${e.statusReason ? ` (${e.statusReason})` : ''}, started ${new Date(e.startedAt).toISOString()}`,
    '',
    ...steps.flatMap((s) => describeStep(s, e.startedAt)),
    '',
  ];
  const o = e.outcome;
  if (o === null) lines.push('outcome: none (the episode did not finish)');
  else {
    const counts = Object.entries(o.alertCounts).filter(([, n]) => n > 0).map(([k, n]) => `${n} ${k}`).join(', ') || 'none';
    lines.push(`verifier reward ${o.verifierReward ?? '-'}, alerts ${counts}, penalty ${o.penalty}, reward ${o.reward}, label ${o.safetyLabel}`);
  }
  return `${lines.join('\n')}\n`;
}
