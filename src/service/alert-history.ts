// The recent alerts and guard actions the dashboard lists and counts: a bounded ring fed by the
// event hub (the one route events take), each entry with the key that owned its sandbox when it
// fired, so it stays visible to that key (and only to it) after the sandbox is gone.
import type { EventHub, ServiceEvent } from './event-hub.js';

export const DEFAULT_HISTORY = 10_000;

export interface HistoryEntry {
  readonly event: ServiceEvent;
  /** The key whose sandbox (or environment) it was; undefined when no key owned it. */
  readonly owner: string | undefined;
}

export interface AlertQuery {
  readonly sandbox?: string;
  readonly rule?: string;
  readonly technique?: string;
  readonly severity?: string;
  /** Epoch ms: only events at or after. */
  readonly since?: number;
  readonly limit: number;
}

export interface AlertCounts {
  readonly byRule: Record<string, number>;
  readonly byTechnique: Record<string, number>;
}

const field = (e: ServiceEvent, name: string): string | undefined => {
  const v = e.data[name];
  return typeof v === 'string' ? v : undefined;
};

export class AlertHistory {
  private readonly alerts: HistoryEntry[] = [];
  private readonly actions: HistoryEntry[] = [];
  private readonly stop: () => void;

  constructor(
    hub: EventHub,
    private readonly ownerOf: (e: ServiceEvent) => string | undefined,
    private readonly size = DEFAULT_HISTORY,
  ) {
    this.stop = hub.listen((e) => {
      if (e.type === 'alert') this.push(this.alerts, e);
      else if (e.type === 'action') this.push(this.actions, e);
    });
  }

  private push(ring: HistoryEntry[], event: ServiceEvent): void {
    ring.push({ event, owner: this.ownerOf(event) });
    // Trimmed in blocks, so a full ring costs one splice per hundred events, not a shift each.
    if (ring.length > this.size + 100) ring.splice(0, ring.length - this.size);
  }

  /** Newest first: the alerts `visible` lets through that match `q`, and the actions on them. */
  query(visible: (owner: string | undefined) => boolean, q: AlertQuery): { alerts: ServiceEvent[]; actions: ServiceEvent[] } {
    const alerts: ServiceEvent[] = [];
    for (let i = this.alerts.length - 1; i >= 0 && alerts.length < q.limit; i--) {
      const entry = this.alerts[i];
      if (!entry || !visible(entry.owner)) continue;
      const e = entry.event;
      if (q.since !== undefined && e.time < q.since) continue;
      if (q.sandbox !== undefined && e.sandbox !== q.sandbox) continue;
      if (q.rule !== undefined && field(e, 'ruleId') !== q.rule) continue;
      if (q.technique !== undefined && field(e, 'technique') !== q.technique) continue;
      if (q.severity !== undefined && field(e, 'severity') !== q.severity) continue;
      alerts.push(e);
    }
    const ids = new Set(alerts.map((a) => field(a, 'id')));
    const actions = this.actions.filter((a) => ids.has(field(a.event, 'alertId'))).map((a) => a.event);
    return { alerts, actions: actions.reverse() };
  }

  /** Alerts per rule and per technique since `since`, of those `visible` lets through. */
  counts(visible: (owner: string | undefined) => boolean, since: number): AlertCounts {
    const byRule: Record<string, number> = {};
    const byTechnique: Record<string, number> = {};
    for (let i = this.alerts.length - 1; i >= 0; i--) {
      const entry = this.alerts[i];
      if (!entry) continue;
      if (entry.event.time < since || !visible(entry.owner)) continue;
      const rule = field(entry.event, 'ruleId') ?? '?';
      const technique = field(entry.event, 'technique') ?? '?';
      byRule[rule] = (byRule[rule] ?? 0) + 1;
      byTechnique[technique] = (byTechnique[technique] ?? 0) + 1;
    }
    return { byRule, byTechnique };
  }

  close(): void {
    this.stop();
  }
}
