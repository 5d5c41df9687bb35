// One episode in progress: its sandbox, its record in the store, and the two things every driver
// does (the in-praetor loop, the environment protocol): run a tool call as a stored step with its
// alerts, and finish with the verifier's reward minus the safety penalty.
import { randomUUID } from 'node:crypto';
import type { ToolCall } from '../agent/agent-types.js';
import type { ToolRegistry } from '../agent/tools/tool-registry.js';
import type { Guard } from '../guard/guard.js';
import type { Sandbox, SandboxBackend } from '../sandbox/backend.js';
import { PraetorError, errorMessage } from '../core/errors.js';
import { toAlertRecord, type AlertPlace, type AlertRecord, type EpisodeRecord, type FinalStatus, type PromptMessage, type StepRecord, type Task, type ToolDeclarationRecord } from './episode-model.js';
import type { EpisodeStore } from './store/episode-store.js';
import type { PolicyDecisionRecord } from '../policy/policy-record.js';
import { computeOutcome, parseVerifierReward } from './reward.js';
import { SandboxAlerts } from './sandbox-alerts.js';
import { gpuOfEpisode, gpuOfSteps } from './episode-gpu.js';

export interface SessionDeps {
  readonly backend: SandboxBackend;
  readonly guard: Guard;
  readonly store: EpisodeStore;
  /** The tools `runCall` runs; drivers that record steps of their own (agent-native) need none. */
  readonly tools?: ToolRegistry;
}

export interface SessionStartOptions {
  readonly id?: string;
  /** Domains allowed on top of the task's own (the model gateway, for an agent inside). */
  readonly extraAllowDomains?: readonly string[];
  /** Called with the sandbox as soon as it exists, before the task's setup runs in it. */
  readonly onSandbox?: (sandbox: Sandbox) => void;
  /** The prompt the agent is given (system, then user); default: the task's instruction as the user message. */
  readonly messages?: readonly PromptMessage[];
  /** The tools the agent is offered, when praetor offers them. */
  readonly tools?: readonly ToolDeclarationRecord[];
}

const VERIFIER_TIMEOUT_MS = 300_000;

export class EpisodeSession {
  private steps = 0;
  private finished: EpisodeRecord | null = null;

  private constructor(
    readonly id: string,
    readonly task: Task,
    readonly sandbox: Sandbox,
    private readonly deps: SessionDeps,
    /** The sandbox's alerts, from the guard's event route. */
    readonly alerts: SandboxAlerts,
  ) {}

  /** Creates the sandbox and the episode record, then runs the task's setup commands. */
  static async start(task: Task, policyName: string, deps: SessionDeps, options: SessionStartOptions = {}): Promise<EpisodeSession> {
    const id = options.id ?? `ep-${randomUUID()}`;
    // task.sandbox was checked against the sandbox schema when the task was loaded
    const own = Array.isArray(task.sandbox.allowDomains) ? (task.sandbox.allowDomains as string[]) : [];
    const allowDomains = [...own, ...(options.extraAllowDomains ?? [])];
    const alerts = new SandboxAlerts(deps.guard.events);
    let sandbox: Sandbox;
    try {
      sandbox = await deps.backend.create({
        ...task.sandbox,
        ...(allowDomains.length > 0 ? { allowDomains } : {}),
        ...(task.workspace ? { workspace: task.workspace } : {}),
      });
    } catch (err) {
      alerts.close();
      throw err;
    }
    alerts.bind(sandbox.id);
    options.onSandbox?.(sandbox);
    deps.store.createEpisode({
      id,
      taskId: task.id,
      task,
      sandboxId: sandbox.id,
      policy: policyName,
      status: 'running',
      startedAt: Date.now(),
      endedAt: null,
      outcome: null,
      messages: options.messages !== undefined ? [...options.messages] : [{ role: 'user', content: task.instruction }],
      ...(options.tools !== undefined ? { tools: [...options.tools] } : {}),
    });
    const session = new EpisodeSession(id, task, sandbox, deps, alerts);
    try {
      for (const command of task.setup) {
        const r = await sandbox.exec(['bash', '-c', command], { timeoutMs: VERIFIER_TIMEOUT_MS });
        if (r.exitCode !== 0) throw new PraetorError('sandbox-failure', `setup "${command}" failed (${r.exitCode}): ${r.stderr.toString().trim()}`);
      }
    } catch (err) {
      await session.finish('failed', errorMessage(err));
      throw err;
    }
    return session;
  }

  get stepCount(): number {
    return this.steps;
  }

  /** Whether the guard has destroyed the sandbox (terminate mode). */
  get terminated(): boolean {
    return this.sandbox.isDestroyed;
  }

  /** Runs one tool call as the next step and stores it (with its alerts) before returning. */
  async runCall(call: ToolCall, extra: Pick<StepRecord, 'turn' | 'tokens'> = {}): Promise<StepRecord> {
    const startedAt = Date.now();
    const tools = this.deps.tools;
    if (tools === undefined) throw new PraetorError('internal', 'this episode session has no tools to run calls with');
    const result = this.terminated
      ? { observation: { content: 'the sandbox was terminated by the guard', isError: true, denied: true }, sandboxSteps: [] }
      : await tools.run(call, this.sandbox);
    const index = ++this.steps;
    const endedAt = Date.now();
    const alerts = await this.alertsOf(result.sandboxSteps, { step: index, turn: extra.turn ?? null });
    const gpu = gpuOfSteps(this.deps.guard.gpuUsage(this.sandbox.id), result.sandboxSteps, this.gpuGranted);
    const step: StepRecord = {
      episodeId: this.id,
      index,
      ...(extra.turn !== undefined ? { turn: extra.turn } : {}),
      action: call,
      observation: result.observation,
      startedAt,
      endedAt,
      sandboxSteps: result.sandboxSteps,
      alerts,
      policy: this.decisionsOf(result.sandboxSteps),
      ...(gpu !== undefined ? { gpu } : {}),
      ...(extra.tokens !== undefined ? { tokens: extra.tokens } : {}),
    };
    await this.deps.store.appendStep(step);
    return step;
  }

  /** Stores an assistant message that called no tool. */
  async recordMessage(text: string, extra: Pick<StepRecord, 'turn' | 'tokens'> = {}): Promise<StepRecord> {
    const now = Date.now();
    const step: StepRecord = { episodeId: this.id, index: ++this.steps, ...extra, message: text, observation: null, startedAt: now, endedAt: now, sandboxSteps: [], alerts: [], policy: [] };
    await this.deps.store.appendStep(step);
    return step;
  }

  /**
   * Ends the episode: runs the verifier when it completed, computes the outcome (verifier reward
   * minus the penalty of every alert of the sandbox), stores it and destroys the sandbox.
   */
  async finish(status: FinalStatus, reason?: string): Promise<EpisodeRecord> {
    if (this.finished) return this.finished;
    let final = this.terminated ? 'terminated' : status;
    let verifier: { reward: number; output: string } | null = null;
    try {
      if (this.task.verifier !== undefined && final === 'completed') {
        const r = await this.sandbox.exec(['bash', '-c', this.task.verifier], { timeoutMs: VERIFIER_TIMEOUT_MS });
        const output = `${r.stdout.toString()}${r.stderr.toString()}`;
        verifier = { reward: parseVerifierReward(r.timedOut ? null : r.exitCode, output), output: output.slice(-4000) };
        if (verifier.reward <= 0) final = 'failed';
      }
    } catch (err) {
      final = 'failed';
      reason = `verifier: ${errorMessage(err)}`;
    }
    await this.sandbox.flushNetworkEvents().catch(() => undefined);
    await this.deps.guard.settle();
    const alerts = this.placeAlerts();
    this.alerts.close();
    const outcome = computeOutcome(verifier?.reward ?? null, alerts, this.task.safetyPenalties, verifier?.output ?? reason ?? null);
    const gpu = gpuOfEpisode(this.deps.guard.gpuUsage(this.sandbox.id), this.gpuGranted);
    this.deps.store.finishEpisode(this.id, final, outcome, gpu !== undefined ? { gpu } : {});
    await this.sandbox.destroy().catch(() => undefined);
    const record = this.deps.store.getEpisode(this.id);
    if (record === null) throw new PraetorError('internal', `episode ${this.id} vanished from the store`);
    this.finished = reason === undefined ? record : { ...record, statusReason: record.statusReason ?? reason };
    return this.finished;
  }

  private get gpuGranted(): boolean {
    return (this.sandbox.info().gpuGrant ?? null) !== null;
  }

  /** Command-policy decisions on the given sandbox exec steps (processes they started included). */
  private decisionsOf(steps: readonly number[]): PolicyDecisionRecord[] {
    if (steps.length === 0) return [];
    return this.deps.guard.policyDecisions(this.sandbox.id).filter((d) => d.step !== null && steps.includes(d.step));
  }

  /** Alerts raised by the given sandbox exec steps, once the guard has caught up with them. */
  private async alertsOf(steps: readonly number[], at: AlertPlace): Promise<AlertRecord[]> {
    if (steps.length === 0) return [];
    await this.sandbox.flushNetworkEvents().catch(() => undefined);
    await this.deps.guard.settle();
    return this.alerts.ofSteps(steps).map((a) => toAlertRecord(a, at));
  }

  /**
   * Every alert of the sandbox at its episode step: the step it was stored on, else the one step
   * that ran its sandbox exec step (a daemon's later alert), else none (the verifier's, say).
   */
  private placeAlerts(): AlertRecord[] {
    const stored = new Map<string, AlertPlace>();
    const byExec = new Map<number, AlertPlace | null>();
    for (const s of this.deps.store.steps(this.id)) {
      for (const a of s.alerts) stored.set(a.id, { step: s.index, turn: s.turn ?? null });
      // An exec step that ran for several episode steps (an agent-native agent's) names none of them.
      for (const exec of s.sandboxSteps) byExec.set(exec, byExec.has(exec) && byExec.get(exec)?.step !== s.index ? null : { step: s.index, turn: s.turn ?? null });
    }
    return this.alerts.all().map((a) => toAlertRecord(a, stored.get(a.id) ?? (a.step !== null ? byExec.get(a.step) : null) ?? { step: null }));
  }
}
