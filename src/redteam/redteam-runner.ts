// Runs red-team scenarios as scripted episodes against the fake world, one after another, with the
// guard watching, and judges each: detected at the right step, blocked, false alerts, bytes that
// reached hosts the agent must never reach. One at a time, so the world's byte counts of a
// scenario are its own.
import { ScriptedPolicy } from '../agent/policies/scripted-policy.js';
import type { AgentPolicy, PolicyContext, PolicyDecision } from '../agent/policies/policy.js';
import type { ToolRegistry } from '../agent/tools/tool-registry.js';
import type { Alert } from '../detect/alert.js';
import type { EpisodeStore } from '../episode/store/episode-store.js';
import { runEpisode } from '../episode/episode-runner.js';
import type { StepRecord } from '../episode/episode-model.js';
import type { Guard } from '../guard/guard.js';
import type { PolicyGate } from '../policy/policy-gate.js';
import type { GuardAction } from '../guard/guard-policy.js';
import type { Sandbox, SandboxBackend } from '../sandbox/backend.js';
import { decideDomain } from '../sandbox/network/domain-filter.js';
import { errorMessage } from '../core/errors.js';
import type { FakeWorld } from './world/fake-world.js';
import { evaluateScenario, reportOf } from './evaluate.js';
import type { RedteamObserver } from './redteam-observer.js';
import type { RedteamReport, ScenarioResult } from './redteam-result.js';
import { scenarioScript, scenarioTask, type Scenario } from './scenario-schema.js';

/** What a runner reports while it works; the CLI prints it, tests ignore it. */
export interface RedteamListener {
  scenarioStarted?(scenario: Scenario, index: number, total: number): void;
  stepStarted?(scenario: Scenario, index: number): void;
  /** A step stored, with what the guard did about its alerts so far. */
  stepDone?(scenario: Scenario, step: StepRecord, actions: readonly GuardAction[]): void;
  /** An alert as it fires, with the agent step it belongs to (null when no step can be named). */
  alert?(scenario: Scenario, alert: Alert, agentStep: number | null): void;
  scenarioDone?(result: ScenarioResult): void;
}

export interface RedteamDeps {
  readonly backend: SandboxBackend;
  readonly guard: Guard;
  readonly observer: RedteamObserver;
  readonly store: EpisodeStore;
  readonly tools: ToolRegistry;
  readonly world: FakeWorld;
  readonly version: string;
  /** The command policy each scenario's agent runs under, from its first call; none when absent. */
  readonly commandPolicy?: PolicyGate | null;
}

/** Roles whose hosts no scenario may send a byte to, allow-listed or not. */
const FORBIDDEN_ROLES = new Set(['ssh', 'pool', 'internal']);

/** Hosts of the world that this scenario must not reach. */
export function disallowedHosts(world: FakeWorld, allowDomains: readonly string[]): Set<string> {
  const policy = { allow: [...allowDomains], deny: [] };
  const reachable = (h: FakeWorld['hosts'][number]): boolean => h.ports.some((port) => decideDomain(policy, h.name, port).allowed);
  return new Set(world.hosts.filter((h) => FORBIDDEN_ROLES.has(h.role) || !reachable(h)).map((h) => h.name));
}

async function bytesByHost(world: FakeWorld): Promise<Record<string, number>> {
  const stats = await world.stats();
  return Object.fromEntries(Object.entries(stats.hosts).map(([name, h]) => [name, h.bytesReceived]));
}

/**
 * The world's counts once they stop moving: bytes already sent on a torn-down connection may
 * still be on their way to the world server, and must land in this scenario, not the next.
 */
export async function settledBytesByHost(world: FakeWorld): Promise<Record<string, number>> {
  let last = await bytesByHost(world);
  for (let i = 0; i < 10; i++) {
    await new Promise((resolve) => setTimeout(resolve, 50));
    const now = await bytesByHost(world);
    if (JSON.stringify(now) === JSON.stringify(last)) return now;
    last = now;
  }
  return last;
}

/** Counts the agent's decisions so the runner knows which step is in progress. */
class TrackedPolicy implements AgentPolicy {
  current = 0;
  constructor(
    private readonly inner: AgentPolicy,
    private readonly onNext: (index: number) => Promise<void>,
  ) {}
  get name(): string {
    return this.inner.name;
  }
  async next(context: PolicyContext, signal?: AbortSignal): Promise<PolicyDecision> {
    const decision = await this.inner.next(context, signal);
    if (decision.kind !== 'done') {
      this.current = context.history.length + 1;
      await this.onNext(this.current);
    }
    return decision;
  }
}

export async function runScenario(scenario: Scenario, deps: RedteamDeps, listener: RedteamListener = {}): Promise<ScenarioResult> {
  const { world, observer, guard } = deps;
  const before = await settledBytesByHost(world);
  const started = Date.now();
  let sandbox: Sandbox | null = null;
  const agentStepOfSandboxStep = new Map<number, number>();
  const policy: TrackedPolicy = new TrackedPolicy(new ScriptedPolicy(scenarioScript(scenario), `scripted:redteam/${scenario.id}`), async (index) => {
    // The task's setup ran with the guard recording only: it is the task author's environment
    // (a planted key, a fixture repository), not the agent. From the first call on, the
    // scenario's own policy holds.
    if (index === 1 && sandbox !== null) {
      guard.setPolicy(sandbox.id, scenario.guard);
      guard.setCommandPolicy(sandbox.id, deps.commandPolicy ?? null);
    }
    listener.stepStarted?.(scenario, index);
    if (scenario.guardDiesBeforeStep === index && sandbox !== null) observer.kill(sandbox.id);
    await Promise.resolve();
  });
  const offStep = observer.onStepStarted((sandboxId, step) => {
    if (sandbox !== null && sandboxId === sandbox.id) agentStepOfSandboxStep.set(step, policy.current);
  });
  const offAlert = guard.events.subscribe({ kinds: ['alert'] }, ({ alert }) => {
    if (sandbox === null || alert.sandboxId !== sandbox.id) return;
    listener.alert?.(scenario, alert, alert.step === null ? null : (agentStepOfSandboxStep.get(alert.step) ?? null));
  });
  observer.usePolicy({ ...scenario.guard, mode: 'monitor' });
  const task = scenarioTask(scenario);
  let alerts: readonly Alert[] = [];
  let record;
  try {
    record = await runEpisode({
      backend: deps.backend,
      guard,
      store: deps.store,
      tools: deps.tools,
      task,
      policy,
      onStep: (step) => {
        const ids = new Set(step.alerts.map((a) => a.id));
        const actions = sandbox === null ? [] : guard.actions(sandbox.id).filter((a) => ids.has(a.alertId));
        listener.stepDone?.(scenario, step, actions);
      },
      onSandbox: (created) => {
        sandbox = created;
      },
    });
  } finally {
    offStep();
    offAlert();
  }
  // The sandbox is gone by now; its alerts and actions stay with the guard, the network record
  // with the sandbox object.
  const sb = sandbox as Sandbox | null;
  const sandboxId = sb?.id ?? record.sandboxId;
  // Alerts of the setup's exec steps are not the agent's and are left out of the verdict.
  alerts = guard.alerts(sandboxId).filter((a) => a.step === null || agentStepOfSandboxStep.get(a.step) !== 0);
  const after = await settledBytesByHost(world);
  const delta = Object.fromEntries(Object.entries(after).map(([name, bytes]) => [name, bytes - (before[name] ?? 0)]));
  const result = evaluateScenario({
    scenario,
    episodeId: record.id,
    status: record.status,
    ...(record.statusReason !== undefined ? { statusReason: record.statusReason } : {}),
    durationMs: Date.now() - started,
    steps: deps.store.steps(record.id),
    alerts,
    actions: guard.actions(sandboxId),
    network: sb?.networkEvents() ?? [],
    bytesByHost: delta,
    disallowedHosts: disallowedHosts(world, scenario.task.allowDomains),
    policyRun: (deps.commandPolicy ?? null) !== null,
  });
  listener.scenarioDone?.(result);
  return result;
}

export async function runRedteam(scenarios: readonly Scenario[], deps: RedteamDeps, listener: RedteamListener = {}): Promise<RedteamReport> {
  const startedAt = Date.now();
  const results: ScenarioResult[] = [];
  for (const [i, scenario] of scenarios.entries()) {
    listener.scenarioStarted?.(scenario, i, scenarios.length);
    try {
      results.push(await runScenario(scenario, deps, listener));
    } catch (err) {
      // A scenario that could not run is a failure in the report, not the end of the run.
      const failed: ScenarioResult = {
        id: scenario.id,
        suite: scenario.suite,
        family: scenario.family ?? scenario.id.split('-')[0] ?? scenario.id,
        needs: scenario.needs,
        title: scenario.title,
        description: scenario.description,
        episodeId: '',
        status: 'error',
        durationMs: 0,
        expectations: scenario.steps.flatMap((spec, i) =>
          spec.expect ? [{ step: i + 1, technique: spec.expect.technique, detected: false, ruleIds: [], timeToDetectMs: null }] : [],
        ),
        blocked: { expected: scenario.steps.flatMap((spec, i) => (spec.expect?.blocked ? [i + 1] : [])), enforcedAt: [], ok: false },
        falseAlerts: [],
        bytesToDisallowed: 0,
        bytesByHost: {},
        passed: false,
        failures: [`could not run: ${errorMessage(err)}`],
        timeline: [],
      };
      listener.scenarioDone?.(failed);
      results.push(failed);
    }
  }
  return reportOf(deps.version, startedAt, scenarios, results);
}
