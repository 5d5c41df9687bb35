// Runs compiled rules over guard events and raises alerts. Rules are indexed by event kind, so an
// event costs only the rules that look at its kind; windows and dedupe use event time, not arrival.
import type { GuardEvent, GuardEventKind } from '../monitor/events.js';
import type { Alert } from './alert.js';
import type { CommandContext } from './command-fields.js';
import { EventView } from './event-fields.js';
import type { CompiledRule } from './rule-schema.js';
import { AlertDedupe, SlidingWindow, SustainedCondition, type Finding } from './rule-state.js';

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

export const DEFAULT_MAX_GROUPS_PER_RULE = 10_000;

export class RuleEngine {
  readonly rules: readonly CompiledRule[];
  private readonly byKind = new Map<GuardEventKind, RuleRuntime[]>();
  private readonly now: () => number;
  private raised = 0;
  private commandContext: CommandContext | undefined;

  constructor(rules: readonly CompiledRule[], opts: RuleEngineOptions = {}) {
    this.rules = [...rules];
    this.now = opts.now ?? Date.now;
    this.commandContext = opts.commandContext;
    const maxGroups = opts.maxGroupsPerRule ?? DEFAULT_MAX_GROUPS_PER_RULE;
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
      const finding = evaluate(runtime, view);
      if (finding === null || !runtime.dedupe.admit(runtime.rule.dedupe.key(view), event.time)) continue;
      alerts.push(this.alert(runtime.rule, event, finding));
    }
    return alerts;
  }

  private alert(rule: CompiledRule, trigger: GuardEvent, finding: Finding): Alert {
    const time = this.now();
    const first = finding.evidence[0] ?? trigger;
    return {
      id: `${rule.id}:${++this.raised}`,
      ruleId: rule.id,
      title: rule.title,
      technique: rule.technique,
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
