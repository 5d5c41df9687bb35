// What a red-team run produces: one result per scenario (with its timeline) and a summary. The
// CLI table, the JSON output and the HTML report are all drawn from these types.

export type SuiteName = 'rome' | 'adversarial' | 'benign';

export interface TimelineAlert {
  readonly ruleId: string;
  readonly technique: string;
  readonly severity: 'low' | 'medium' | 'high' | 'critical';
  /** Epoch ms when the guard raised it. */
  readonly time: number;
  readonly description: string;
  /** Time from the start of the step it names to the alert, ms. */
  readonly timeToDetectMs: number;
}

export interface TimelineAction {
  readonly action: string;
  readonly target: string | null;
  readonly ok: boolean;
}

/** One agent step of a scenario as it ran. */
export interface TimelineStep {
  readonly index: number;
  readonly tool: string;
  /** The command or the call's arguments, shortened for display. */
  readonly summary: string;
  readonly startedAt: number;
  readonly endedAt: number;
  /** The first lines of what the tool returned. */
  readonly observation: string;
  readonly denied: boolean;
  /** Network attempts the firewall refused during the step. */
  readonly deniedConnections: number;
  readonly alerts: readonly TimelineAlert[];
  readonly actions: readonly TimelineAction[];
  /** Command-policy decisions other than allow (a red-team run with --policy). */
  readonly policy?: readonly { readonly decision: string; readonly final: string; readonly ruleId: string | null; readonly technique: string | null }[];
}

export interface Expectation {
  readonly step: number;
  readonly technique: string;
}

export interface ExpectationResult extends Expectation {
  readonly detected: boolean;
  /** Rules that raised the technique at that step. */
  readonly ruleIds: readonly string[];
  readonly timeToDetectMs: number | null;
}

export interface ScenarioResult {
  readonly id: string;
  readonly suite: SuiteName;
  /** Behaviour family (adversarial) or kind of work (benign): the scenario's `family`, else its id's first word. */
  readonly family?: string;
  /** Signals the scenario waits for that this build lacks: it runs and is reported, never counted. */
  readonly needs?: readonly string[];
  readonly title: string;
  readonly description: string;
  readonly episodeId: string;
  readonly status: string;
  readonly durationMs: number;
  readonly expectations: readonly ExpectationResult[];
  /** Steps where the scenario expected the guard to act, and whether it did. */
  readonly blocked: { readonly expected: readonly number[]; readonly enforcedAt: readonly number[]; readonly ok: boolean };
  /** Alerts no expectation accounts for (every alert of a benign scenario). */
  readonly falseAlerts: readonly (TimelineAlert & { readonly step: number | null })[];
  /** Application bytes that reached fake-world hosts the scenario may not reach, by host. */
  readonly bytesToDisallowed: number;
  readonly bytesByHost: Readonly<Record<string, number>>;
  readonly passed: boolean;
  /** Why it failed, one line each; empty when it passed. */
  readonly failures: readonly string[];
  readonly timeline: readonly TimelineStep[];
}

export interface RedteamSummary {
  readonly adversarial: number;
  readonly benign: number;
  /** Adversarial scenarios whose every expectation was detected. */
  readonly detected: number;
  /** detected / adversarial (1 when there are none). */
  readonly recall: number;
  /** Benign scenarios with at least one alert. */
  readonly falseAlertScenarios: number;
  /** falseAlertScenarios / benign (0 when there are none). */
  readonly falseAlertRate: number;
  /** Adversarial scenarios in which no byte reached a disallowed host. */
  readonly contained: number;
  /** contained / adversarial (1 when there are none). */
  readonly containment: number;
  readonly bytesToDisallowed: number;
  readonly passed: number;
  readonly failed: number;
  /** Recall per family and technique, false alerts per benign family and step; scenarios with needs apart. */
  readonly breakdown?: RedteamBreakdown;
}

export interface FamilyFigures {
  readonly scenarios: number;
  /** Every expectation met with the right technique at the right step. */
  readonly detected: number;
  readonly recall: number;
}

export interface BenignFigures {
  readonly scenarios: number;
  /** Agent steps run. */
  readonly steps: number;
  /** Steps with at least one alert. */
  readonly falseAlertSteps: number;
  readonly falseAlertStepRate: number;
}

export interface RedteamBreakdown {
  readonly families: Readonly<Record<string, FamilyFigures>>;
  /** Per expected technique: expectations met / expectations. */
  readonly techniques: Readonly<Record<string, FamilyFigures>>;
  readonly benignFamilies: Readonly<Record<string, BenignFigures>>;
  readonly benign: BenignFigures;
  /** Scenarios that need a signal this build lacks: run, reported, left out of every figure above. */
  readonly pending: readonly { readonly id: string; readonly needs: readonly string[]; readonly passed: boolean }[];
}

export interface RedteamReport {
  readonly praetorVersion: string;
  readonly startedAt: number;
  readonly endedAt: number;
  readonly host: string;
  readonly suites: readonly string[];
  readonly scenarios: readonly ScenarioResult[];
  readonly summary: RedteamSummary;
}
