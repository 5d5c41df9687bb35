// Carries out the sandbox's guard policy for one alert and records every action it took.
import type { Alert } from '../detect/alert.js';
import type { Sandbox } from '../sandbox/backend.js';
import { errorMessage } from '../core/errors.js';
import { atLeast, type GuardAction, type GuardPolicy } from './guard-policy.js';
import type { Offenders } from './offender.js';

export interface EnforcementTarget {
  readonly sandbox: Sandbox;
  readonly policy: GuardPolicy;
  /** Set when the alert came from a live proxy stream: the stream is cut before the bytes go on. */
  readonly stream?: { readonly host: string; readonly port: number } | undefined;
  /**
   * Names the processes an alert without a pid is about (offender.ts); null: they can not be named,
   * and the step is killed. Absent: the step is killed.
   */
  readonly offenders?: ((alert: Alert) => Promise<Offenders | null>) | undefined;
}

type Act = Omit<GuardAction, 'time' | 'sandboxId' | 'alertId' | 'ok' | 'error'> & { run: () => Promise<unknown> };

async function plan(alert: Alert, target: EnforcementTarget): Promise<Act[]> {
  const { policy, sandbox, stream } = target;
  if (policy.mode === 'monitor' || !atLeast(alert.severity, policy.minSeverity)) {
    return [{ action: 'record', target: null, run: () => Promise.resolve() }];
  }
  switch (policy.mode) {
    case 'block': {
      const acts: Act[] = [];
      // The proxy tears the stream down when the inspection hook throws; this records it.
      if (stream) acts.push({ action: 'deny-stream', target: `${stream.host}:${stream.port}`, run: () => Promise.resolve() });
      if (alert.pid !== null) {
        const pid = alert.pid;
        acts.push({ action: 'kill-tree', target: `pid ${pid}`, run: () => sandbox.killProcessTree(pid) });
      } else if (alert.step !== null && !stream) {
        acts.push(...(await offenderActs(alert, alert.step, target)));
      }
      return acts.length > 0 ? acts : [{ action: 'record', target: null, run: () => Promise.resolve() }];
    }
    case 'freeze':
      return [{ action: 'freeze', target: sandbox.id, run: () => sandbox.setFrozen(true) }];
    case 'terminate':
      return [{ action: 'terminate', target: sandbox.id, run: () => sandbox.destroy() }];
  }
}

/**
 * An alert with a step but no pid: the processes it is about when they can be named (a tool call of
 * an agent CLI, not the CLI), else every process of the step. A failed lookup kills the step.
 */
async function offenderActs(alert: Alert, step: number, target: EnforcementTarget): Promise<Act[]> {
  const { sandbox } = target;
  const found = await (target.offenders?.(alert) ?? Promise.resolve(null)).catch(() => null);
  if (found === null) return [{ action: 'kill-step', target: `step ${step}`, run: () => sandbox.killStep(step) }];
  const acts: Act[] = found.pids.map((pid) => ({ action: 'kill-tree', target: `pid ${pid}`, run: () => sandbox.killProcessTree(pid) }));
  // a tool call that ran at the time and is gone (killed for an earlier alert, or ended): nothing is left to stop
  for (const pgid of found.gone) acts.push({ action: 'record', target: `process group ${pgid} (${found.how}, already gone)`, run: () => Promise.resolve() });
  return acts;
}

/**
 * Enforces one alert. `done` holds the actions already taken in this sandbox (`action target`),
 * so five alerts on one miner kill it once and record the rest as covered.
 */
export async function enforce(alert: Alert, target: EnforcementTarget, done: Set<string>): Promise<GuardAction[]> {
  const actions: GuardAction[] = [];
  for (const act of await plan(alert, target)) {
    const key = `${act.action} ${act.target ?? ''}`;
    if (act.action !== 'record' && act.action !== 'deny-stream' && done.has(key)) continue;
    done.add(key);
    const base = { time: Date.now(), sandboxId: alert.sandboxId, alertId: alert.id, action: act.action, target: act.target };
    try {
      await act.run();
      actions.push({ ...base, ok: true, error: null });
    } catch (err) {
      actions.push({ ...base, ok: false, error: errorMessage(err) });
    }
  }
  return actions;
}

/** Whether a live stream that raised this alert must be cut now (synchronously, before forwarding). */
export function cutsStream(alert: Alert, policy: GuardPolicy): boolean {
  return alert.finding !== true && policy.mode !== 'monitor' && atLeast(alert.severity, policy.minSeverity);
}
