// The service's live events (alerts, guard actions, network and command-policy decisions, steps, sandbox lifecycle)
// fanned out to event-stream subscribers. Each subscriber has a bounded queue: a slow reader loses
// its oldest events (and is told how many), never the daemon's memory or the guard's latency.
import { z } from 'zod';

export const EVENT_TYPES = ['alert', 'action', 'network', 'step', 'sandbox', 'policy'] as const;
export type ServiceEventType = (typeof EVENT_TYPES)[number];
export const EventTypeSchema = z.enum(EVENT_TYPES);

export interface ServiceEvent {
  readonly type: ServiceEventType;
  readonly sandbox: string;
  readonly step: number | null;
  readonly episode?: string;
  readonly time: number;
  /** What happened: the alert, the action, the network record, the step's start or end. */
  readonly data: Readonly<Record<string, unknown>>;
}

export const MAX_QUEUED = 10_000;

export class EventSubscription {
  private readonly queue: ServiceEvent[] = [];
  private wake: (() => void) | null = null;
  private closed = false;
  /** Events dropped since the last `next()` because the reader lagged. */
  dropped = 0;

  constructor(
    readonly accepts: (event: ServiceEvent) => boolean,
    private readonly onClose: () => void,
  ) {}

  push(event: ServiceEvent): void {
    if (this.closed || !this.accepts(event)) return;
    if (this.queue.length >= MAX_QUEUED) {
      this.queue.shift();
      this.dropped++;
    }
    this.queue.push(event);
    this.wake?.();
  }

  /** The queued events (waiting up to `waitMs` for one), or null once closed. */
  async next(waitMs: number): Promise<ServiceEvent[] | null> {
    if (this.queue.length === 0 && !this.closed) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, waitMs);
        this.wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.wake = null;
    }
    if (this.closed) return null;
    return this.queue.splice(0);
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.wake?.();
    this.onClose();
  }
}

export class EventHub {
  private readonly subscriptions = new Set<EventSubscription>();
  private readonly listeners = new Set<(event: ServiceEvent) => void>();

  get subscribers(): number {
    return this.subscriptions.size;
  }

  subscribe(accepts: (event: ServiceEvent) => boolean): EventSubscription {
    const sub = new EventSubscription(accepts, () => this.subscriptions.delete(sub));
    this.subscriptions.add(sub);
    return sub;
  }

  /** A synchronous listener (the exec stream uses one per running step). */
  listen(listener: (event: ServiceEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  publish(event: ServiceEvent): void {
    for (const sub of this.subscriptions) sub.push(event);
    for (const l of this.listeners) {
      try {
        l(event);
      } catch {
        // a listener's failure is its own; the others still get the event
      }
    }
  }

  closeAll(): void {
    for (const sub of [...this.subscriptions]) sub.close();
  }
}
