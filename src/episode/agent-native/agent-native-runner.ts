// Runs one episode with an agent CLI inside the sandbox: the agent's model traffic goes through
// the sandbox's egress proxy to the model gateway, which records each turn; each turn becomes
// stored steps as the agent goes, with the guard's alerts of the turn it was acting on; then
// the verifier and the outcome, as for the in-praetor loop.
import { GATEWAY_HOST, gatewayEnv, type ModelGateway } from '../../agent/gateway/model-gateway.js';
import type { Turn } from '../../agent/gateway/gateway-wire.js';
import type { Guard } from '../../guard/guard.js';
import type { Sandbox, SandboxBackend } from '../../sandbox/backend.js';
import { PraetorError, errorMessage } from '../../core/errors.js';
import type { EpisodeRecord, FinalStatus, StepRecord, Task } from '../episode-model.js';
import type { EpisodeStore } from '../store/episode-store.js';
import { EpisodeSession } from '../episode-session.js';
import { TurnStepWriter } from './turn-step-writer.js';

export interface AgentNativeRunOptions {
  readonly task: Task;
  /** The agent CLI, run as one exec inside the sandbox with the gateway's env. */
  readonly agentCommand: readonly string[];
  readonly backend: SandboxBackend;
  readonly guard: Guard;
  readonly store: EpisodeStore;
  readonly gateway: ModelGateway;
  /** Limit of the agent's exec; default the task's time budget. */
  readonly timeoutMs?: number;
  /** Written into the sandbox before the agent starts (its code, its config), path -> content. */
  readonly files?: Readonly<Record<string, string | Buffer>>;
  /** Extra env of the agent's exec (model name, flags); the gateway's variables win. */
  readonly env?: Readonly<Record<string, string>>;
  /** Called after each step is stored. */
  readonly onStep?: (step: StepRecord) => void;
  readonly episodeId?: string;
  /** Called once the task's setup ran, just before the agent starts (the red team sets the scenario's guard policy here). */
  readonly beforeAgent?: (sandbox: Sandbox) => void | Promise<void>;
  /** The episode's policy name; default agent-native:<argv0>. */
  readonly policyName?: string;
}

export interface AgentNativeResult {
  readonly episode: EpisodeRecord;
  /** Every turn the gateway recorded for the episode's sandbox, by index. */
  readonly turns: Turn[];
  /** How the agent's exec ended; null when it never ran. */
  readonly agent: { exitCode: number | null; signal: string | null; timedOut: boolean; output: string } | null;
}

export async function runAgentNativeEpisode(options: AgentNativeRunOptions): Promise<AgentNativeResult> {
  const { task, guard, store, gateway } = options;
  const argv0 = options.agentCommand[0];
  if (argv0 === undefined) throw new PraetorError('usage', 'the agent command is empty');
  const session = await EpisodeSession.start(task, options.policyName ?? `agent-native:${argv0}`, options, {
    ...(options.episodeId ? { id: options.episodeId } : {}),
    extraAllowDomains: [GATEWAY_HOST],
  });
  const { sandbox } = session;
  const registration = gateway.register(sandbox.id); // a fresh sandbox id: never registered before
  let status: FinalStatus = 'completed';
  let reason: string | undefined;
  let agent: AgentNativeResult['agent'] = null;
  let overBudget = false;
  const stop: (() => void)[] = [];
  try {
    for (const [path, content] of Object.entries(options.files ?? {})) await sandbox.writeFile(path, content);
    // This runner is the sandbox's only caller of exec, so the agent's exec is the next step.
    const agentStep = sandbox.info().steps + 1;
    const writer = new TurnStepWriter({ episodeId: session.id, store, guard, sandbox, alerts: session.alerts, agentStep, ...(options.onStep ? { onStep: options.onStep } : {}) });
    // The step budget: once it is spent the agent is stopped at its next model request, and the
    // turn that request starts is not the episode's.
    let unobserve: () => void = () => undefined;
    unobserve = gateway.observe(sandbox.id, {
      onRequest: async (r) => {
        await writer.requestArrived(r);
        if (!overBudget && writer.stepCount >= task.budgets.maxSteps) {
          overBudget = true;
          unobserve();
          await sandbox.killStep(agentStep);
        }
      },
      onTurn: (t) => writer.turnFinished(t),
    });
    stop.push(() => unobserve());
    await options.beforeAgent?.(sandbox);
    const env = { ...options.env, PRAETOR_INSTRUCTION: task.instruction, ...gatewayEnv(registration) };
    const r = await sandbox.exec(options.agentCommand, { env, timeoutMs: options.timeoutMs ?? task.budgets.maxSeconds * 1000 });
    const output = `${r.stdout.toString()}${r.stderr.toString()}`.slice(-4000);
    agent = { exitCode: r.exitCode, signal: r.signal, timedOut: r.timedOut, output };
    await writer.finish();
    if (writer.failure !== null) throw writer.failure;
    if (overBudget) reason = `budget: steps (${task.budgets.maxSteps})`;
    else if (r.timedOut) reason = 'budget: time';
    else if (r.exitCode !== 0 && !sandbox.isDestroyed) {
      status = 'failed';
      reason = `the agent exited with ${r.exitCode ?? r.signal}: ${output.trim().split('\n').at(-1) ?? ''}`;
    }
  } catch (err) {
    // The episode stays readable with every step so far; why it failed is kept with it.
    status = 'failed';
    reason = errorMessage(err);
  }
  for (const s of stop) s();
  const turns = gateway.unregister(sandbox.id);
  // finish() runs the verifier when the episode completed, and calls a destroyed sandbox terminated
  const episode = await session.finish(status, reason);
  return { episode, turns, agent };
}
