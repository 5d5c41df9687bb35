// The guard's one route out: every event its monitors see, every alert it raises and every action
// it takes, each tied to its sandbox, through one subscription. The CLI's printer, the episode
// store, the red team and the service's event stream all subscribe the same way:
//   const off = guard.events.subscribe({ sandboxId, kinds: ['alert', 'action'] }, (e) => ...);
// Listeners run synchronously as the guard publishes (an alert reaches them before it is
// enforced); one that throws is reported through the guard's onError and the others still run.
import type { Alert } from '../detect/alert.js';
import type { EventSubscriptions } from '../monitor/event-bus.js';
import type { GuardEvent } from '../monitor/events.js';
import type { PolicyDecisionRecord } from '../policy/policy-record.js';
import type { GuardAction } from './guard-policy.js';

/** The guard raised an alert (published before it is enforced). */
export interface AlertEvent {
  readonly kind: 'alert';
  readonly time: number;
  readonly sandboxId: string;
  readonly step: number | null;
  readonly alert: Alert;
}

/** The guard carried out (or failed to carry out) an action for an alert. */
export interface ActionEvent {
  readonly kind: 'action';
  readonly time: number;
  readonly sandboxId: string;
  readonly action: GuardAction;
}

/** The command policy decided on an exec, a file write, a connection or a started process. */
export interface PolicyDecisionEvent {
  readonly kind: 'policy-decision';
  readonly time: number;
  readonly sandboxId: string;
  readonly step: number | null;
  readonly decision: PolicyDecisionRecord;
}

/**
 * What `guard.events` carries: the monitors' events (step-start and step-end, process-start and
 * process-exit, resource and GPU samples, network decisions: proxy-connection and network-denied,
 * file-write), then the guard's alerts, actions and command-policy decisions.
 */
export type GuardStreamEvent = GuardEvent | AlertEvent | ActionEvent | PolicyDecisionEvent;
export type GuardStreamKind = GuardStreamEvent['kind'];

/** The subscription API of `guard.events`. */
export type GuardEvents = EventSubscriptions<GuardStreamEvent>;
