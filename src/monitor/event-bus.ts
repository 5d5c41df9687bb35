// Fan-out of events to subscribers, each with a filter (one sandbox, some kinds). Synchronous on
// purpose: an alert's latency is the monitor's, not a queue's. A throwing subscriber is reported
// and isolated so one bad listener can not blind the others.
import type { GuardEvent } from './events.js';

/** What every event on a bus carries: its kind and the sandbox it belongs to. */
export interface BusEvent {
  readonly kind: string;
  readonly sandboxId: string;
}

/** Which events a subscriber gets: those of one sandbox (all when absent), of some kinds (all when absent). */
export interface EventFilter<K extends string = string> {
  readonly sandboxId?: string;
  readonly kinds?: readonly K[];
}

/** The subscribing side of a bus: what consumers are given. */
export interface EventSubscriptions<E extends BusEvent> {
  /** Calls `listener` with every matching event from now on; returns the unsubscribe function. */
  subscribe<K extends E['kind'] = E['kind']>(filter: EventFilter<K>, listener: (event: Extract<E, { kind: K }>) => void): () => void;
}

interface Subscription<E> {
  readonly sandboxId: string | undefined;
  readonly kinds: ReadonlySet<string> | null;
  readonly listener: (event: E) => void;
}

export class EventBus<E extends BusEvent = GuardEvent> implements EventSubscriptions<E> {
  private readonly subscriptions = new Set<Subscription<E>>();

  constructor(private readonly onListenerError: (err: unknown, event: E) => void = () => undefined) {}

  subscribe<K extends E['kind'] = E['kind']>(filter: EventFilter<K>, listener: (event: Extract<E, { kind: K }>) => void): () => void {
    const subscription: Subscription<E> = {
      sandboxId: filter.sandboxId,
      kinds: filter.kinds === undefined ? null : new Set<string>(filter.kinds),
      // the filter guarantees the kind: only events of `kinds` reach this listener
      listener: listener as (event: E) => void,
    };
    this.subscriptions.add(subscription);
    return () => this.subscriptions.delete(subscription);
  }

  publish(event: E): void {
    for (const s of this.subscriptions) {
      if (s.sandboxId !== undefined && s.sandboxId !== event.sandboxId) continue;
      if (s.kinds !== null && !s.kinds.has(event.kind)) continue;
      try {
        s.listener(event);
      } catch (err) {
        this.onListenerError(err, event);
      }
    }
  }
}
