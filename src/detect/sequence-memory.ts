// What sequence rules (`after:`) look back at: the latest raise of each referenced rule per sandbox,
// step and process. Bounded like the other rule state: quiet groups expire, the oldest go first.
import type { GuardEvent } from '../monitor/events.js';
import { GroupMap } from './rule-state.js';
import type { CompiledRule, SequenceScope } from './rule-schema.js';

/** An earlier event may carry a time a little after the later one: monitors read at different moments. */
const CLOCK_SKEW_MS = 2_000;

interface Raised {
  readonly time: number;
  readonly event: GuardEvent;
}

function scopeKey(event: GuardEvent, same: SequenceScope): string | null {
  switch (same) {
    case 'sandbox':
      return event.sandboxId;
    case 'step':
      return event.step === null ? null : `${event.sandboxId}\u0000${event.step}`;
    case 'process': {
      const pid = 'pid' in event ? event.pid : null;
      return pid === null ? null : `${event.sandboxId}\u0000p${pid}`;
    }
  }
}

const SCOPES: readonly SequenceScope[] = ['sandbox', 'step', 'process'];

export class SequenceMemory {
  /** Only rules some `after` names are remembered: the others cost nothing. */
  private readonly remembered = new Map<string, Map<SequenceScope, GroupMap<Raised>>>();
  private readonly longestMs: number;

  constructor(rules: readonly CompiledRule[], private readonly maxGroups: number) {
    let longest = 0;
    for (const rule of rules) {
      if (rule.after === null) continue;
      longest = Math.max(longest, rule.after.ms);
      for (const id of rule.after.rules) {
        if (!this.remembered.has(id)) this.remembered.set(id, new Map(SCOPES.map((s) => [s, new GroupMap<Raised>(maxGroups)])));
      }
    }
    this.longestMs = longest;
  }

  /** A rule matched `event` (whether or not dedupe let its alert out): later sequences may need it. */
  record(ruleId: string, event: GuardEvent): void {
    const scopes = this.remembered.get(ruleId);
    if (scopes === undefined) return;
    for (const [same, groups] of scopes) {
      const key = scopeKey(event, same);
      if (key === null) continue;
      groups.touch(key, { time: event.time, event });
      groups.prune((r) => r.time < event.time - this.longestMs - CLOCK_SKEW_MS);
    }
  }

  /** The latest earlier raise that satisfies the rule's `after`, or null. */
  earlier(after: NonNullable<CompiledRule['after']>, event: GuardEvent): { ruleId: string; event: GuardEvent } | null {
    const key = scopeKey(event, after.same);
    if (key === null) return null;
    let best: { ruleId: string; event: GuardEvent } | null = null;
    for (const id of after.rules) {
      const raised = this.remembered.get(id)?.get(after.same)?.get(key);
      if (raised === undefined || raised.event === event) continue;
      if (raised.time > event.time + CLOCK_SKEW_MS || event.time - raised.time > after.ms) continue;
      if (best === null || raised.time > best.event.time) best = { ruleId: id, event: raised.event };
    }
    return best;
  }
}
