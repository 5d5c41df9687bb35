// How alerts are shown: JSON rows for `--json`, one line each for people.
import type { Alert } from '../detect/alert.js';

export function describeAlert(a: Alert): string {
  const where = [a.step === null ? null : `step ${a.step}`, a.pid === null ? null : `pid ${a.pid}`].filter(Boolean).join(', ');
  const argv = a.argv ? `: ${a.argv.join(' ').replace(/\s+/g, ' ').slice(0, 100)}` : '';
  return `ALERT [${a.severity}] ${a.technique} ${a.ruleId}${where ? ` (${where})` : ''}${argv} (${Math.round(a.latencyMs)} ms after the first event)`;
}

export function alertRows(alerts: readonly Alert[]): Record<string, unknown>[] {
  return alerts.map((a) => ({
    id: a.id,
    rule: a.ruleId,
    title: a.title,
    technique: a.technique,
    severity: a.severity,
    time: new Date(a.time).toISOString(),
    sandboxId: a.sandboxId,
    step: a.step,
    pid: a.pid,
    argv: a.argv,
    latencyMs: Math.round(a.latencyMs * 10) / 10,
    description: a.description,
    evidence: a.evidence,
  }));
}
