// Where the service hooks the guard: one subscription to `guard.events` (steps, network decisions,
// alerts, the actions taken and command-policy decisions), turned into service events and
// metrics. The only module that knows how the guard publishes.
import type { Alert } from '../detect/alert.js';
import type { Guard } from '../guard/guard.js';
import type { GuardStreamEvent } from '../guard/guard-events.js';
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

function fromGuardEvent(e: GuardStreamEvent): Pick<ServiceEvent, 'type' | 'data'> | null {
  switch (e.kind) {
    case 'step-start':
      return { type: 'step', data: { phase: 'start', argv: e.argv } };
    case 'step-end':
      return { type: 'step', data: { phase: 'end', exitCode: e.exitCode } };
    case 'network-denied':
      return { type: 'network', data: { kind: 'denied-attempt', protocol: e.protocol, dstAddress: e.dstAddress, dstPort: e.dstPort } };
    case 'network-dropped':
      return { type: 'network', data: { kind: 'dropped', dropped: e.dropped } };
    case 'proxy-connection': {
      const { kind: _kind, time: _time, sandboxId: _sandbox, step: _step, ...rest } = e;
      return { type: 'network', data: { kind: 'proxy', ...rest } };
    }
    case 'process-start':
    case 'process-exit':
    case 'resource-sample':
    case 'gpu-sample':
    case 'file-write':
    case 'policy-verdict': // the policy-decision beside it goes out
    case 'process-sockets': // what matters in it goes out as a finding or an alert
    case 'file-open':
    case 'step-usage': // what matters in it goes out as a finding or an alert
    case 'monitor-down': // the guard-blind alert it raises goes out as an alert
    case 'alert':
    case 'action':
      return null;
    case 'policy-decision': {
      const { sandboxId: _sandbox, step: _step, time: _time, ...decision } = e.decision;
      return { type: 'policy', data: { ...decision } };
    }
  }
}

/** Starts feeding; returns the function that stops it. */
export function startGuardFeed(deps: GuardFeedDeps): () => void {
  const { guard, hub, metrics, episodeOf } = deps;
  const emit = (type: ServiceEvent['type'], sandbox: string, step: number | null, time: number, data: Record<string, unknown>): void => {
    const episode = episodeOf(sandbox);
    hub.publish({ type, sandbox, step, time, data, ...(episode ? { episode } : {}) });
  };
  return guard.events.subscribe({}, (e) => {
    if (e.kind === 'alert') {
      metrics.alerts.inc({ rule: e.alert.ruleId, severity: e.alert.severity });
      emit('alert', e.sandboxId, e.step, e.time, alertView(e.alert));
      return;
    }
    if (e.kind === 'action') {
      // published once the guard's enforcement of the alert settled; the step is its alert's
      const a = e.action;
      metrics.guardActions.inc({ action: a.action, ok: String(a.ok) });
      const step = guard.alerts(a.sandboxId).find((al) => al.id === a.alertId)?.step ?? null;
      emit('action', a.sandboxId, step, a.time, { ...a });
      return;
    }
    if (e.kind === 'gpu-sample') metrics.observeGpuSample(e);
    if (e.kind === 'network-denied') metrics.deniedConnections.inc({ kind: 'firewall' });
    if (e.kind === 'proxy-connection' && e.decision === 'denied') metrics.deniedConnections.inc({ kind: 'proxy' });
    const mapped = fromGuardEvent(e);
    if (mapped) emit(mapped.type, e.sandboxId, e.step, e.time, mapped.data);
  });
}
