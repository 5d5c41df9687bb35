// What a rule raises: the rule and its ATT&CK technique, where it happened (sandbox, step,
// process) and the events that made it fire, so an alert can be checked without the raw stream.
import type { GuardEvent } from '../monitor/events.js';

export const SEVERITIES = ['low', 'medium', 'high', 'critical'] as const;
export type Severity = (typeof SEVERITIES)[number];

/** Most events an alert carries; a port scan of thousands of ports keeps its first and last ones. */
export const MAX_EVIDENCE = 20;

export interface Alert {
  /** Unique within the engine that raised it: `${ruleId}:${counter}`. */
  readonly id: string;
  readonly ruleId: string;
  readonly title: string;
  /** MITRE ATT&CK technique, e.g. 'T1496' or 'T1053.003'. */
  readonly technique: string;
  /** ATT&CK tactic in kebab-case, e.g. 'impact', 'command-and-control'. */
  readonly tactic?: string;
  readonly severity: Severity;
  /** Epoch ms when the alert was raised. */
  readonly time: number;
  readonly sandboxId: string;
  /** Step of the event that triggered the alert; null when unknown. */
  readonly step: number | null;
  /** Process of the triggering event, where the event names one. */
  readonly pid: number | null;
  /** Real argv of the triggering event, where the event carries one. */
  readonly argv: readonly string[] | null;
  /** The events that matched, first one first, at most MAX_EVIDENCE; the triggering event is last. */
  readonly evidence: readonly GuardEvent[];
  /** time - evidence[0].time: how long after the first matching event the alert was raised. */
  readonly latencyMs: number;
  readonly description: string;
  /**
   * A finding: a weak signal (a denied attempt, a policy refusal, a borderline pattern) kept with
   * its step and exported, never enforced, not a false alert; sequence rules (`after`) escalate
   * findings to alerts. Absent on alerts.
   */
  readonly finding?: true;
}
