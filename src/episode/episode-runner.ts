// Runs one episode: a task in a fresh guarded sandbox, a policy choosing tool calls, each step
// written to the store before the next starts (a crash loses nothing), the verifier, and an
// outcome that carries the safety penalty of every alert.
import { randomUUID } from 'node:crypto';
import type { AgentPolicy, HistoryEntry } from '../agent/policies/policy.js';
import type { ToolRegistry } from '../agent/tools/tool-registry.js';
import type { Guard } from '../guard/guard.js';
import type { LocalBackend } from '../sandbox/local/local-backend.js';
import type { LocalSandbox } from '../sandbox/local/local-sandbox.js';
import { PraetorError, errorMessage } from '../sandbox/errors.js';
import { toAlertRecord, type AlertRecord, type EpisodeRecord, type FinalStatus, type StepRecord, type Task } from './episode-model.js';
import type { EpisodeStore } from './episode-store.js';
import { computeOutcome, parseVerifierReward } from './reward.js';

export interface EpisodeRunOptions {
  readonly task: Task;
  readonly policy: AgentPolicy;
  readonly tools: ToolRegistry;
  readonly backend: LocalBackend;
  readonly guard: Guard;
  readonly store: EpisodeStore;
  /** Called after each step is stored. */
  readonly onStep?: (step: StepRecord) => void;
  readonly episodeId?: string;
}

const VERIFIER_TIMEOUT_MS = 300_000;

/** Alerts of the given sandbox steps, once the guard has caught up with them. */
async function alertsOf(guard: Guard, sandbox: LocalSandbox, steps: readonly number[]): Promise<AlertRecord[]> {
  if (steps.length === 0) return [];
  await sandbox.flushNetworkEvents().catch(() => undefined);
  await guard.settle();
  return guard
    .alerts(sandbox.id)
    .filter((a) => a.step !== null && steps.includes(a.step))
    .map(toAlertRecord);
}

async function runVerifier(sandbox: LocalSandbox, command: string): Promise<{ reward: number; output: string }> {
  const r = await sandbox.exec(['bash', '-c', command], { timeoutMs: VERIFIER_TIMEOUT_MS });
  const output = `${r.stdout.toString()}${r.stderr.toString()}`;
  return { reward: parseVerifierReward(r.timedOut ? null : r.exitCode, output), output: output.slice(-4000) };
}

export async function runEpisode(options: EpisodeRunOptions): Promise<EpisodeRecord> {
  const { task, policy, tools, backend, guard, store } = options;
  const id = options.episodeId ?? `ep-${randomUUID()}`;
  const sandbox = await backend.create({ ...task.sandbox, ...(task.workspace ? { workspace: task.workspace } : {}) });
  const startedAt = Date.now();
  store.createEpisode({
    id,
    taskId: task.id,
    task,
    sandboxId: sandbox.id,
    policy: policy.name,
    status: 'running',
    startedAt,
    endedAt: null,
    outcome: null,
    messages: [{ role: 'user', content: task.instruction }],
  });
  let status: FinalStatus = 'completed';
  let reason: string | undefined;
  try {
    for (const command of task.setup) {
      const r = await sandbox.exec(['bash', '-c', command], { timeoutMs: VERIFIER_TIMEOUT_MS });
      if (r.exitCode !== 0) throw new PraetorError('sandbox-failure', `setup "${command}" failed (${r.exitCode}): ${r.stderr.toString().trim()}`);
    }
    const history: HistoryEntry[] = [];
    const deadline = startedAt + task.budgets.maxSeconds * 1000;
    for (let index = 1; index <= task.budgets.maxSteps; index++) {
      if (Date.now() > deadline) {
        reason = 'budget: time';
        break;
      }
      const stepStarted = Date.now();
      const decision = await policy.next({ instruction: task.instruction, history }, AbortSignal.timeout(Math.max(1, deadline - Date.now())));
      if (decision.kind === 'done') {
        reason = decision.text;
        break;
      }
      const tokens = decision.usage ? { prompt: decision.usage.prompt, completion: decision.usage.completion } : undefined;
      const turn = decision.turnId !== undefined ? { turn: decision.turnId } : {};
      if (decision.kind === 'message') {
        store.appendStep({ episodeId: id, index, ...turn, message: decision.text, observation: null, startedAt: stepStarted, endedAt: Date.now(), ...(tokens ? { tokens } : {}) });
        history.push({ call: null, text: decision.text, observation: null });
        continue;
      }
      const result = sandbox.isDestroyed
        ? { observation: { content: 'the sandbox was terminated by the guard', isError: true, denied: true }, sandboxSteps: [] }
        : await tools.run(decision.call, sandbox);
      const alerts = await alertsOf(guard, sandbox, result.sandboxSteps);
      const step: StepRecord = {
        episodeId: id,
        index,
        ...turn,
        action: decision.call,
        observation: result.observation,
        startedAt: stepStarted,
        endedAt: Date.now(),
        sandboxSteps: result.sandboxSteps,
        alerts,
        ...(tokens ? { tokens } : {}),
      };
      store.appendStep(step);
      options.onStep?.(step);
      history.push({ call: decision.call, text: decision.text ?? null, observation: result.observation });
      if (sandbox.isDestroyed) {
        status = 'terminated';
        reason = `the guard terminated the sandbox after ${alerts.map((a) => a.ruleId).join(', ') || 'an alert'}`;
        break;
      }
    }
    const allAlerts = guard.alerts(sandbox.id).map(toAlertRecord);
    let verifier: { reward: number; output: string } | null = null;
    if (task.verifier !== undefined && status === 'completed') verifier = await runVerifier(sandbox, task.verifier);
    const outcome = computeOutcome(verifier?.reward ?? null, allAlerts, task.safetyPenalties, verifier?.output ?? null);
    if (status === 'completed' && verifier !== null && verifier.reward <= 0) status = 'failed';
    store.finishEpisode(id, status, outcome);
  } catch (err) {
    // The episode stays readable with every step so far; why it failed is kept with it.
    const outcome = computeOutcome(null, guard.alerts(sandbox.id).map(toAlertRecord), task.safetyPenalties, errorMessage(err));
    store.finishEpisode(id, 'failed', outcome);
    reason = errorMessage(err);
  } finally {
    await sandbox.destroy().catch(() => undefined);
  }
  const record = store.getEpisode(id);
  if (record === null) throw new PraetorError('internal', `episode ${id} vanished from the store`);
  return reason === undefined ? record : { ...record, statusReason: record.statusReason ?? reason };
}
