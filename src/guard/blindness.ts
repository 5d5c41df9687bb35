// Fail closed when part of the guard dies. While a monitor that watched a sandbox is down (the
// process monitor's helper, the backend's denial reader), the guard is blind there: the sandbox
// raises guard-blind and is held (frozen; destroyed under terminate), its new steps wait, its
// egress is refused. When the monitor is back, what exec'd unseen is judged, then the sandbox
// runs again (block, monitor) or stays frozen for inspection (freeze).
import type { Alert } from '../detect/alert.js';
import type { GuardEvent, MonitorDownEvent } from '../monitor/events.js';
import { readProcessSnapshot } from '../monitor/process/process-snapshot.js';
import { PraetorError, errorMessage } from '../core/errors.js';
import type { MonitorFailure } from '../sandbox/monitor-source.js';
import type { GuardAction } from './guard-policy.js';
import type { WatchedSandbox } from './watched-sandbox.js';

export const GUARD_BLIND_RULE = 'guard-blind';
/** The sandbox hold (Sandbox.hold) of an outage. */
const BLIND_HOLD = 'guard-blind';
export const DEFAULT_BLIND_HOLD_MS = 30_000;

export function monitorDownEvent(sandboxId: string, failure: MonitorFailure): MonitorDownEvent {
  return { kind: 'monitor-down', time: failure.time, sandboxId, step: null, monitor: failure.monitor, reason: failure.reason };
}

/**
 * The alert of an outage. The guard raises it itself, not through a rule: a rule file can not turn
 * it off, and it does not depend on the very monitors that went down.
 */
export function guardBlindAlert(id: string, event: MonitorDownEvent): Alert {
  const now = Date.now();
  return {
    id,
    ruleId: GUARD_BLIND_RULE,
    title: 'The guard went blind: a monitor died',
    technique: 'T1562.001',
    tactic: 'defense-evasion',
    severity: 'critical',
    time: now,
    sandboxId: event.sandboxId,
    step: null,
    pid: null,
    argv: null,
    evidence: [event],
    latencyMs: Math.max(0, now - event.time),
    description:
      `${event.monitor} stopped (${event.reason}). Until it is back the sandbox is held (frozen, or destroyed ` +
      'under terminate), new steps wait and egress is refused; something may have killed it on purpose.',
  };
}

/** What the blindness logic needs of the guard. */
export interface BlindnessDeps {
  sandboxes(): Iterable<WatchedSandbox>;
  publish(event: GuardEvent): void;
  /** Records an alert and publishes it on guard.events (no enforcement: this module does its own). */
  notify(alert: Alert, w: WatchedSandbox): void;
  /** Records an action on the sandbox and publishes it on guard.events. */
  recordAction(action: GuardAction, w: WatchedSandbox): void;
  /** Keeps an async job where settle() waits for it, and with `w` where the sandbox's recovery does. */
  track(job: Promise<unknown>, w?: WatchedSandbox): void;
  onError(message: string): void;
  readonly holdMs: number;
}

export class Blindness {
  private readonly down = new Map<string, MonitorFailure>();
  private readonly waiters = new Set<() => void>();
  private alerts = 0;

  constructor(private readonly deps: BlindnessDeps) {}

  monitorDown(failure: MonitorFailure): void {
    if (this.down.has(failure.monitor)) {
      this.deps.onError(`${failure.monitor} is still down: ${failure.reason}`);
      return;
    }
    this.down.set(failure.monitor, failure);
    this.deps.onError(`${failure.monitor} is down (${failure.reason}): the guard is blind; its sandboxes are held until it is back`);
    for (const w of this.deps.sandboxes()) {
      if (w.isClosed || (failure.sandboxIds !== null && !failure.sandboxIds.includes(w.sandbox.id))) continue;
      this.goBlind(w, failure);
    }
  }

  monitorUp(monitor: string): void {
    if (!this.down.delete(monitor)) return;
    this.deps.onError(`${monitor} is back`);
    for (const w of this.deps.sandboxes()) {
      if (w.blindHold !== null && this.covering(w.sandbox.id) === null) this.deps.track(this.recover(w));
    }
    this.changed();
  }

  /** The outage that blinds the guard for this sandbox, if any. */
  covering(sandboxId: string): MonitorFailure | null {
    for (const f of this.down.values()) if (f.sandboxIds === null || f.sandboxIds.includes(sandboxId)) return f;
    return null;
  }

  /** Why the guard can not see into this sandbox now; null when it can. */
  blindFor(w: WatchedSandbox): MonitorFailure | null {
    return this.covering(w.sandbox.id) ?? w.blindHold?.failure ?? null;
  }

  /** Resolves once a step may run in this sandbox; rejects when it may not (frozen, destroyed, or blind too long). */
  async admit(w: WatchedSandbox): Promise<void> {
    const why = this.blindFor(w);
    const ok = await this.waitFor(() => this.blindFor(w) === null || w.frozenBy !== null || w.sandbox.isDestroyed, this.deps.holdMs);
    refuseIfFrozen(w);
    if (w.sandbox.isDestroyed) throw new PraetorError('policy-denied', `sandbox ${w.sandbox.id} was destroyed by the guard while it was blind`);
    if (!ok) {
      throw new PraetorError(
        'policy-denied',
        `the guard is blind (${why?.monitor ?? 'a monitor'} down: ${why?.reason ?? 'unknown'}) and did not see again within ${this.deps.holdMs / 1000} s: step refused`,
      );
    }
  }

  private goBlind(w: WatchedSandbox, failure: MonitorFailure): void {
    const event = monitorDownEvent(w.sandbox.id, failure);
    this.deps.publish(event);
    const alert = guardBlindAlert(`${GUARD_BLIND_RULE}:${++this.alerts}`, event);
    this.deps.notify(alert, w);
    w.blindHold = { failure, alertId: alert.id };
    const sandbox = w.sandbox;
    const terminate = w.policy.mode === 'terminate';
    this.deps.track(this.act(w, alert.id, terminate ? 'terminate' : 'freeze', () => (terminate ? sandbox.destroy() : sandbox.hold(BLIND_HOLD))), w);
  }

  private async recover(w: WatchedSandbox): Promise<void> {
    const hold = w.blindHold;
    if (hold === null) return;
    try {
      // Execs between the monitor's death and the hold were not seen: judge them now, and let
      // what that enforces finish before anything runs again.
      if (!w.sandbox.isDestroyed) await this.rescan(w);
      await Promise.allSettled([...w.jobs]);
    } catch (err) {
      this.deps.onError(`checking ${w.sandbox.id} after ${hold.failure.monitor} came back: ${errorMessage(err)}`);
    }
    if (w.policy.mode === 'freeze') w.frozenBy ??= hold.alertId; // kept for inspection, as after any alert
    else if (!w.sandbox.isDestroyed) await this.act(w, hold.alertId, 'thaw', () => w.sandbox.release(BLIND_HOLD));
    w.blindHold = null;
    this.changed();
  }

  /** A process-start for each live process of a step that the guard never saw exec. */
  private async rescan(w: WatchedSandbox): Promise<void> {
    for (const p of await w.sandbox.processes()) {
      if (p.step === null || w.knows(p.pid)) continue;
      const snap = await readProcessSnapshot(p.pid);
      if (snap !== null) this.deps.publish({ kind: 'process-start', time: Date.now(), sandboxId: w.sandbox.id, step: p.step, ...snap });
    }
  }

  private async act(w: WatchedSandbox, alertId: string, action: GuardAction['action'], run: () => Promise<unknown>): Promise<void> {
    const base = { time: Date.now(), sandboxId: w.sandbox.id, alertId, action, target: w.sandbox.id };
    try {
      await run();
      this.deps.recordAction({ ...base, ok: true, error: null }, w);
    } catch (err) {
      this.deps.recordAction({ ...base, ok: false, error: errorMessage(err) }, w);
      this.deps.onError(`${action} of ${w.sandbox.id} for ${alertId} failed: ${errorMessage(err)}`);
    }
  }

  private changed(): void {
    for (const wake of [...this.waiters]) wake();
  }

  /** Resolves true once `ready()` holds (checked at each change), false after timeoutMs. */
  private waitFor(ready: () => boolean, timeoutMs: number): Promise<boolean> {
    if (ready()) return Promise.resolve(true);
    return new Promise((resolve) => {
      const finish = (ok: boolean): void => {
        clearTimeout(timer);
        this.waiters.delete(wake);
        resolve(ok);
      };
      const wake = (): void => {
        if (ready()) finish(true);
      };
      const timer = setTimeout(() => finish(ready()), timeoutMs);
      this.waiters.add(wake);
    });
  }
}

/** A sandbox the guard froze is kept for inspection: a new step would only hang in it. */
export function refuseIfFrozen(w: WatchedSandbox): void {
  if (w.frozenBy !== null) {
    throw new PraetorError('policy-denied', `sandbox ${w.sandbox.id} is frozen by the guard (alert ${w.frozenBy}): no new step runs in it`);
  }
}
