// The alerts of one episode's sandbox as the guard publishes them. Episodes subscribe to the
// guard's one event route (guard.events) like every other consumer; a step is stored with the
// alerts its sandbox steps raised once the guard has caught up (flush, then guard.settle()).
import type { Alert } from '../detect/alert.js';
import type { GuardEvents } from '../guard/guard-events.js';

export class SandboxAlerts {
  private alerts: Alert[] = [];
  private sandboxId: string | null = null;
  private readonly unsubscribe: () => void;

  /** Subscribes before the sandbox exists, so an alert raised while it is being created is not missed. */
  constructor(events: GuardEvents) {
    this.unsubscribe = events.subscribe({ kinds: ['alert'] }, ({ alert }) => {
      if (this.sandboxId === null || alert.sandboxId === this.sandboxId) this.alerts.push(alert);
    });
  }

  /** From now on only this sandbox's alerts are kept; those of others seen meanwhile are dropped. */
  bind(sandboxId: string): void {
    this.sandboxId = sandboxId;
    this.alerts = this.alerts.filter((a) => a.sandboxId === sandboxId);
  }

  /** Every alert of the sandbox so far, in the order the guard raised them. */
  all(): readonly Alert[] {
    return this.alerts;
  }

  /** Alerts raised by the given sandbox exec steps. */
  ofSteps(steps: readonly number[]): Alert[] {
    return this.alerts.filter((a) => a.step !== null && steps.includes(a.step));
  }

  close(): void {
    this.unsubscribe();
  }
}
