// Runs compiled rules over guard events and raises alerts. Rules are indexed by event kind, so an
// event costs only the rules that look at its kind; windows and dedupe use event time, not arrival.
import type { GuardEvent, GuardEventKind } from '../monitor/events.js';
import { MAX_EVIDENCE, type Alert } from './alert.js';
import type { CommandContext } from './command-fields.js';
import { EventView } from './event-fields.js';
import type { CompiledRule } from './rule-schema.js';
import { AlertDedupe, SlidingWindow, SustainedCondition, type Finding } from './rule-state.js';
import { SequenceMemory } from './sequence-memory.js';

export interface RuleEngineOptions {
  /** Clock for Alert.time (epoch ms); Date.now by default. */
  readonly now?: () => number;
  /** Groups remembered per rule (windows, streaks, dedupe); the least recently seen go first. */
  readonly maxGroupsPerRule?: number;
  /** Reads the command-text fields (cmdPrograms, cmdLines, cmdPaths, cmdIntents, tools); without it they are absent. */
  readonly commandContext?: CommandContext;
}

interface RuleRuntime {
  readonly rule: CompiledRule;
  readonly window: SlidingWindow | null;
  readonly sustained: SustainedCondition | null;
  readonly dedupe: AlertDedupe;
}

const TECHNIQUE = /^T\d{4}(?:\.\d{3})?$/;

export const DEFAULT_MAX_GROUPS_PER_RULE = 10_000;

export class RuleEngine {
  readonly rules: readonly CompiledRule[];
  private readonly byKind = new Map<GuardEventKind, RuleRuntime[]>();
  private readonly now: () => number;
  private readonly sequences: SequenceMemory;
  private raised = 0;
  private commandContext: CommandContext | undefined;

  constructor(rules: readonly CompiledRule[], opts: RuleEngineOptions = {}) {
    this.rules = [...rules];
    this.now = opts.now ?? Date.now;
    this.commandContext = opts.commandContext;
    const maxGroups = opts.maxGroupsPerRule ?? DEFAULT_MAX_GROUPS_PER_RULE;
    this.sequences = new SequenceMemory(rules, maxGroups);
    for (const rule of rules) {
      const runtime: RuleRuntime = {
        rule,
        window: rule.window === null ? null : new SlidingWindow(rule.window, maxGroups),
        sustained: rule.sustained === null ? null : new SustainedCondition(rule.sustained, maxGroups),
        dedupe: new AlertDedupe(rule.dedupe.ms, maxGroups),
      };
      for (const kind of rule.events) {
        const list = this.byKind.get(kind);
        if (list === undefined) this.byKind.set(kind, [runtime]);
        else list.push(runtime);
      }
    }
  }

  /** Sets the command context once it is ready (the shell parser loads asynchronously). */
  useCommandContext(context: CommandContext): void {
    this.commandContext = context;
  }

  /** Feeds one event; returns the alerts it raised, in rule order (usually none). */
  process(event: GuardEvent): Alert[] {
    const runtimes = this.byKind.get(event.kind);
    if (runtimes === undefined) return [];
    const view = new EventView(event, this.commandContext);
    const alerts: Alert[] = [];
    for (const runtime of runtimes) {
      let finding = evaluate(runtime, view);
      if (finding === null) continue;
      const { after } = runtime.rule;
      if (after !== null) {
        const earlier = this.sequences.earlier(after, event);
        if (earlier === null) continue;
        finding = { evidence: [earlier.event, ...finding.evidence].slice(-MAX_EVIDENCE), note: joinNotes(`after ${earlier.ruleId}`, finding.note) };
      }
      this.sequences.record(runtime.rule.id, event);
      if (!runtime.dedupe.admit(runtime.rule.dedupe.key(view), event.time)) continue;
      alerts.push(this.alert(runtime.rule, event, finding, view));
    }
    return alerts;
  }

  private alert(rule: CompiledRule, trigger: GuardEvent, finding: Finding, view: EventView): Alert {
    const time = this.now();
    const own = rule.techniqueFrom?.(view);
    const technique = typeof own === 'string' && TECHNIQUE.test(own) ? own : rule.technique;
    const first = finding.evidence[0] ?? trigger;
    return {
      id: `${rule.id}:${++this.raised}`,
      ruleId: rule.id,
      title: rule.title,
      technique,
      ...(rule.tactic === null ? {} : { tactic: rule.tactic }),
      severity: rule.severity,
      time,
      sandboxId: trigger.sandboxId,
      step: trigger.step,
      pid: 'pid' in trigger ? trigger.pid : null,
      argv: 'argv' in trigger ? trigger.argv : null,
      evidence: finding.evidence,
      latencyMs: time - first.time,
      description: finding.note === '' ? rule.description : `${rule.description} (${finding.note})`,
      ...(rule.finding ? { finding: true as const } : {}),
    };
  }
}

function evaluate(runtime: RuleRuntime, view: EventView): Finding | null {
  const matched = runtime.rule.matches(view);
  // A sustained rule also needs the events that do not match: they end the streak.
  if (runtime.sustained !== null) return runtime.sustained.observe(view, matched);
  if (!matched) return null;
  if (runtime.window !== null) return runtime.window.add(view);
  return { evidence: [view.event], note: '' };
}

function joinNotes(a: string, b: string): string {
  return b === '' ? a : `${a}; ${b}`;
}
