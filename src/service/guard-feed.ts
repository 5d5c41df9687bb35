// Where the service hooks the guard: its event bus (steps, network decisions), its alerts, and the
// actions it took, turned into service events and metrics. The only module that knows how the
// guard publishes, so moving to a single guard subscription API changes this file alone.
import type { Alert } from '../detect/alert.js';
import type { Guard } from '../guard/guard.js';
import type { GuardEvent } from '../monitor/events.js';
import type { EventHub, ServiceEvent } from './event-hub.js';
import type { ServiceMetrics } from './service-metrics.js';

export interface GuardFeedDeps {
  readonly guard: Guard;
  readonly hub: EventHub;
  readonly metrics: ServiceMetrics;
  /** The episode a sandbox runs, where it runs one (environment protocol sandboxes). */
  readonly episodeOf: (sandboxId: string) => string | undefined;
}

/** The public form of an alert: the guard's own shape (evidence included), JSON-safe. */
export function alertView(alert: Alert): Record<string, unknown> {
  return { ...alert, evidence: alert.evidence.map((e) => ({ ...e })) };
}

function fromGuardEvent(e: GuardEvent): Pick<ServiceEvent, 'type' | 'data'> | null {
  switch (e.kind) {
    case 'step-start':
      return { type: 'step', data: { phase: 'start', argv: e.argv } };
    case 'step-end':
      return { type: 'step', data: { phase: 'end', exitCode: e.exitCode } };
    case 'network-denied':
      return { type: 'network', data: { kind: 'denied-attempt', protocol: e.protocol, dstAddress: e.dstAddress, dstPort: e.dstPort } };
    case 'proxy-connection': {
      const { kind: _kind, time: _time, sandboxId: _sandbox, step: _step, ...rest } = e;
      return { type: 'network', data: { kind: 'proxy', ...rest } };
    }
    case 'process-start':
    case 'process-exit':
    case 'resource-sample':
    case 'gpu-sample':
    case 'file-write':
      return null;
  }
}

/** Starts feeding; returns the function that stops it. */
export function startGuardFeed(deps: GuardFeedDeps): () => void {
  const { guard, hub, metrics, episodeOf } = deps;
  const actionsSeen = new Map<string, number>();
  const emit = (type: ServiceEvent['type'], sandbox: string, step: number | null, time: number, data: Record<string, unknown>): void => {
    const episode = episodeOf(sandbox);
    hub.publish({ type, sandbox, step, time, data, ...(episode ? { episode } : {}) });
  };
  const offBus = guard.bus.subscribe((e) => {
    if (e.kind === 'network-denied') metrics.deniedConnections.inc({ kind: 'firewall' });
    if (e.kind === 'proxy-connection' && e.decision === 'denied') metrics.deniedConnections.inc({ kind: 'proxy' });
    const mapped = fromGuardEvent(e);
    if (mapped) emit(mapped.type, e.sandboxId, e.step, e.time, mapped.data);
  });
  // The guard records actions when its enforcement settles; they are sent once it has.
  const flushActions = (sandboxId: string): void => {
    const actions = guard.actions(sandboxId);
    const seen = actionsSeen.get(sandboxId) ?? 0;
    actionsSeen.set(sandboxId, actions.length);
    for (const a of actions.slice(seen)) {
      metrics.guardActions.inc({ action: a.action, ok: String(a.ok) });
      const step = guard.alerts(sandboxId).find((al) => al.id === a.alertId)?.step ?? null;
      emit('action', sandboxId, step, a.time, { ...a });
    }
  };
  const offAlert = guard.onAlert((alert) => {
    metrics.alerts.inc({ rule: alert.ruleId, severity: alert.severity });
    emit('alert', alert.sandboxId, alert.step, alert.time, alertView(alert));
    void guard.settle().then(() => flushActions(alert.sandboxId));
  });
  return () => {
    offBus();
    offAlert();
  };
}
