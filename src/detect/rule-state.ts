// Per-rule memory of the engine: sliding windows, sustained streaks and alert dedupe, one entry per
// group. Bounded: groups that went quiet expire, and past the cap the least recently seen goes first.
import type { GuardEvent } from '../monitor/events.js';
import { MAX_EVIDENCE } from './alert.js';
import type { EventView } from './event-fields.js';
import type { CompiledRule } from './rule-schema.js';

export interface Finding {
  readonly evidence: readonly GuardEvent[];
  /** Appended to the rule's description: what the aggregate saw. */
  readonly note: string;
}

/** Groups kept per rule, in recency order (a Map iterates in insertion order; touching re-inserts). */
export class GroupMap<T> {
  private readonly map = new Map<string, T>();

  constructor(private readonly maxGroups: number) {}

  get(key: string): T | undefined {
    return this.map.get(key);
  }

  touch(key: string, value: T): void {
    this.map.delete(key);
    this.map.set(key, value);
    if (this.map.size > this.maxGroups) this.evictOldest();
  }

  delete(key: string): void {
    this.map.delete(key);
  }

  /** Drops the least recently touched groups while they are stale; a few per call keeps each call cheap. */
  prune(stale: (value: T) => boolean, budget = 8): void {
    for (const [key, value] of this.map) {
      if (budget-- <= 0 || !stale(value)) return;
      this.map.delete(key);
    }
  }

  get size(): number {
    return this.map.size;
  }

  private evictOldest(): void {
    for (const key of this.map.keys()) {
      this.map.delete(key);
      return;
    }
  }
}

/** Events in time order, the trigger last; past the cap the first ones and the trigger are kept. */
export function collectEvidence(events: Iterable<GuardEvent>, trigger: GuardEvent): GuardEvent[] {
  const list = [...events].filter((e) => e !== trigger).sort((a, b) => a.time - b.time);
  return [...list.slice(0, MAX_EVIDENCE - 1), trigger];
}

interface WindowGroup {
  last: number;
  /** The latest `count` matching events. */
  readonly recent: GuardEvent[];
  /** Distinct value -> the event that last had it; only the latest `atLeast` values are needed. */
  readonly distinct: Map<string, GuardEvent>;
}

export class SlidingWindow {
  private readonly groups: GroupMap<WindowGroup>;

  constructor(private readonly spec: NonNullable<CompiledRule['window']>, maxGroups: number) {
    this.groups = new GroupMap(maxGroups);
  }

  /** Adds a matching event; a finding when its group reaches the threshold within the window. */
  add(view: EventView): Finding | null {
    const event = view.event;
    const cutoff = event.time - this.spec.ms;
    const key = this.spec.key(view);
    const group: WindowGroup = this.groups.get(key) ?? { last: event.time, recent: [], distinct: new Map() };
    group.last = Math.max(group.last, event.time);
    this.groups.touch(key, group);
    this.groups.prune((g) => g.last < cutoff);

    let reached = true;
    const { count, distinct } = this.spec;
    if (count !== null) {
      group.recent.push(event);
      while (group.recent.length > count || (group.recent[0] !== undefined && group.recent[0].time < cutoff)) group.recent.shift();
      reached = group.recent.length >= count;
    }
    if (distinct !== null) {
      const value = distinct.read(view);
      if (value !== undefined && value !== null) {
        const k = typeof value === 'string' ? value : JSON.stringify(value);
        group.distinct.delete(k);
        group.distinct.set(k, event);
        // Holding the latest atLeast values is enough: they are all in the window iff at least that many are.
        for (const [old, e] of group.distinct) {
          if (group.distinct.size <= distinct.atLeast && e.time >= cutoff) break;
          group.distinct.delete(old);
        }
      }
      reached &&= group.distinct.size >= distinct.atLeast;
    }
    if (!reached) return null;
    const seconds = this.spec.ms / 1000;
    const note =
      distinct !== null
        ? `${group.distinct.size} distinct ${distinct.field} within ${seconds} s`
        : `${group.recent.length} events within ${seconds} s`;
    return { evidence: collectEvidence(distinct !== null ? group.distinct.values() : group.recent, event), note };
  }
}

interface Streak {
  readonly start: number;
  last: number;
  readonly events: GuardEvent[];
}

/** A silence longer than this restarts a streak: nothing was seen to hold in between. */
const MIN_GAP_MS = 30_000;

export class SustainedCondition {
  private readonly groups: GroupMap<Streak>;
  private readonly gapMs: number;

  constructor(private readonly spec: NonNullable<CompiledRule['sustained']>, maxGroups: number) {
    this.groups = new GroupMap(maxGroups);
    this.gapMs = Math.max(spec.ms, MIN_GAP_MS);
  }

  /** Every event of the rule's kinds comes here; one that does not match ends its group's streak. */
  observe(view: EventView, matched: boolean): Finding | null {
    const event = view.event;
    const key = this.spec.key(view);
    if (!matched) {
      this.groups.delete(key);
      return null;
    }
    let streak = this.groups.get(key);
    if (streak === undefined || event.time - streak.last > this.gapMs) streak = { start: event.time, last: event.time, events: [] };
    streak.last = Math.max(streak.last, event.time);
    if (streak.events.length < MAX_EVIDENCE - 1) streak.events.push(event);
    this.groups.touch(key, streak);
    this.groups.prune((s) => s.last < event.time - this.gapMs);
    const held = event.time - streak.start;
    if (held < this.spec.ms) return null;
    return { evidence: collectEvidence(streak.events, event), note: `held for ${(held / 1000).toFixed(1)} s` };
  }
}

/** Remembers when each group last alerted, so a repeat within the quiet time is dropped. */
export class AlertDedupe {
  private readonly last: GroupMap<number>;

  constructor(private readonly ms: number, maxGroups: number) {
    this.last = new GroupMap(maxGroups);
  }

  admit(key: string, time: number): boolean {
    if (this.ms === 0) return true;
    const previous = this.last.get(key);
    if (previous !== undefined && time - previous < this.ms) return false;
    this.last.touch(key, time);
    this.last.prune((t) => t < time - this.ms);
    return true;
  }
}
