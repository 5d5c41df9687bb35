// Fan-out of guard events to subscribers (detection, recording, episodes). Synchronous on
// purpose: an alert's latency is the monitor's, not a queue's. A throwing subscriber is
// reported and isolated so one bad listener can not blind the others.
import type { GuardEvent } from './events.js';

export type EventListener = (event: GuardEvent) => void;

export class EventBus {
  private readonly listeners = new Set<EventListener>();

  constructor(private readonly onListenerError: (err: unknown, event: GuardEvent) => void = () => undefined) {}

  subscribe(listener: EventListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  publish(event: GuardEvent): void {
    for (const listener of this.listeners) {
      try {
        listener(event);
      } catch (err) {
        this.onListenerError(err, event);
      }
    }
  }
}
