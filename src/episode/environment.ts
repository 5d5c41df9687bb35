// The environment protocol for RL trainers, GEM-style (make, reset, step, close): the trainer is
// the policy; each step is a tool call run in a guarded sandbox and stored like any episode step.
// The terminal reward is the verifier's minus the safety penalty of every alert; each step's info
// names the alerts it raised, so a trainer can also shape rewards per step.
import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import type { ToolCall } from '../agent/agent-types.js';
import { PraetorError } from '../core/errors.js';
import { TaskSchema, ToolCallSchema, type AlertRecord, type Task, type TaskInput } from './episode-model.js';
import { EpisodeSession, type SessionDeps } from './episode-session.js';
import { formatIssues } from '../core/schema-issues.js';

/** The action that ends an episode and asks for the verifier's judgement. */
export const SUBMIT = 'submit';

export const EnvActionSchema = z.union([
  ToolCallSchema,
  z.strictObject({ name: z.literal(SUBMIT), id: z.string().optional(), arguments: z.record(z.string(), z.unknown()).optional() }),
]);
export type EnvAction = z.infer<typeof EnvActionSchema>;

export interface EnvInfo {
  readonly episodeId: string;
  readonly step: number;
  readonly alerts: readonly AlertRecord[];
  readonly denied: boolean;
  readonly sandboxSteps: readonly number[];
  readonly status?: string;
  readonly verifierReward?: number | null;
  readonly penalty?: number;
  readonly safetyLabel?: string;
}

export interface EnvStep {
  readonly observation: string;
  readonly reward: number;
  readonly terminated: boolean;
  readonly truncated: boolean;
  readonly info: EnvInfo;
}

interface EnvState {
  readonly task: Task;
  session: EpisodeSession | null;
}

export class RolloutEnvironment {
  private readonly envs = new Map<string, EnvState>();

  constructor(
    private readonly deps: SessionDeps,
    private readonly trainer = 'trainer',
  ) {}

  /** Registers a task; returns the environment id. Nothing is created until reset. */
  make(task: TaskInput | Record<string, unknown>): string {
    const parsed = TaskSchema.safeParse(task);
    if (!parsed.success) throw new PraetorError('invalid-config', `invalid task: ${formatIssues(parsed.error.issues).join('; ')}`);
    const id = `env-${randomUUID()}`;
    this.envs.set(id, { task: parsed.data, session: null });
    return id;
  }

  /** Starts a fresh episode in a fresh sandbox (ending any episode in progress as aborted). */
  async reset(envId: string): Promise<{ observation: string; info: EnvInfo }> {
    const env = this.get(envId);
    if (env.session) await env.session.finish('aborted', 'reset by the trainer');
    // The trainer writes its own prompt; the tools it may call are praetor's, and recorded as such.
    env.session = await EpisodeSession.start(env.task, `env:${this.trainer}`, this.deps, { tools: this.deps.tools?.declarations() ?? [] });
    return { observation: env.task.instruction, info: { episodeId: env.session.id, step: 0, alerts: [], denied: false, sandboxSteps: [] } };
  }

  async step(envId: string, action: unknown): Promise<EnvStep> {
    const env = this.get(envId);
    const session = env.session;
    if (!session) throw new PraetorError('usage', `environment ${envId} needs reset before step`);
    const parsed = EnvActionSchema.safeParse(action);
    if (!parsed.success) throw new PraetorError('usage', `invalid action: ${formatIssues(parsed.error.issues).join('; ')}`);
    if (parsed.data.name === SUBMIT) return this.end(env, session, 'completed', 'submitted');
    const call = parsed.data as ToolCall;
    const step = await session.runCall(call);
    const info = { episodeId: session.id, step: step.index, alerts: step.alerts, denied: step.observation?.denied ?? false, sandboxSteps: step.sandboxSteps };
    const observation = step.observation?.content ?? '';
    if (session.terminated) return this.end(env, session, 'terminated', 'the guard terminated the sandbox', observation, info);
    if (session.stepCount >= env.task.budgets.maxSteps) return this.end(env, session, 'completed', 'budget: steps', observation, info, true);
    return { observation, reward: 0, terminated: false, truncated: false, info };
  }

  /** Ends the episode in progress (aborted if it was still running) and forgets the environment. */
  async close(envId: string): Promise<void> {
    const env = this.get(envId);
    this.envs.delete(envId);
    if (env.session) await env.session.finish('aborted', 'closed by the trainer');
  }

  async closeAll(): Promise<void> {
    await Promise.allSettled([...this.envs.keys()].map((id) => this.close(id)));
  }

  private get(envId: string): EnvState {
    const env = this.envs.get(envId);
    if (!env) throw new PraetorError('sandbox-not-found', `no environment ${envId}`);
    return env;
  }

  private async end(
    env: EnvState,
    session: EpisodeSession,
    status: 'completed' | 'terminated',
    reason: string,
    observation = '',
    last?: EnvInfo,
    truncated = false,
  ): Promise<EnvStep> {
    const record = await session.finish(status, reason);
    env.session = null;
    const o = record.outcome;
    return {
      observation: observation || `episode ${record.status}`,
      reward: o?.reward ?? 0,
      terminated: !truncated,
      truncated,
      info: {
        ...(last ?? { episodeId: session.id, step: session.stepCount, alerts: [], denied: false, sandboxSteps: [] }),
        status: record.status,
        verifierReward: o?.verifierReward ?? null,
        penalty: o?.penalty ?? 0,
        safetyLabel: o?.safetyLabel ?? 'clean',
      },
    };
  }
}
