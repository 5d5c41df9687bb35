// The environment protocol (make, reset, step, close) for many keys on one daemon: each key has
// an environment table of its own, so one key can not even name another's environments, and its
// episodes are recorded with the policy `env:key:<id>`, which is how they are found again.
// Tasks over the API can not name host paths: no `workspace`, and sandbox options are checked
// against the API's own schema (prepare files with the task's setup commands instead).
import { z } from 'zod';
import { RolloutEnvironment, type EnvStep } from '../episode/environment.js';
import type { SessionDeps } from '../episode/episode-session.js';
import type { EpisodeRecord, StepRecord } from '../episode/episode-model.js';
import { SandboxOptionsSchema } from '../sandbox/backend.js';
import { formatIssues } from '../core/schema-issues.js';
import { ApiError, notFound } from './api-error.js';
import { canSee, seesAll, type Principal } from './auth.js';
import type { Cost, QuotaLedger } from './quota-ledger.js';

const TaskSandboxSchema = z.strictObject(SandboxOptionsSchema.omit({ workspace: true }).shape);

interface Tracked {
  readonly owner: Principal;
  readonly cost: Cost;
  release: (() => void) | null;
  sandbox: string | null;
  episode: string | null;
}

export function policyOf(keyId: string): string {
  return `env:key:${keyId}`;
}

export class EnvService {
  private readonly tables = new Map<string, RolloutEnvironment>();
  private readonly tracked = new Map<string, Tracked>();
  private readonly bySandbox = new Map<string, { owner: string; episode: string }>();

  constructor(
    private readonly deps: SessionDeps,
    private readonly quotas: QuotaLedger,
  ) {}

  private table(who: Principal): RolloutEnvironment {
    let env = this.tables.get(who.keyId);
    if (!env) {
      env = new RolloutEnvironment(this.deps, `key:${who.keyId}`);
      this.tables.set(who.keyId, env);
    }
    return env;
  }

  private own(who: Principal, id: string): Tracked {
    const t = this.tracked.get(id);
    if (!t || t.owner.keyId !== who.keyId) throw notFound(`environment ${id.slice(0, 128)}`);
    return t;
  }

  make(who: Principal, task: Record<string, unknown>): string {
    if ('workspace' in task) throw new ApiError(400, 'invalid-request', 'task.workspace: a host path is not accepted over the API; prepare files with the task\'s setup commands');
    const sandbox = TaskSandboxSchema.safeParse(task.sandbox ?? {});
    if (!sandbox.success) throw new ApiError(400, 'invalid-request', formatIssues(sandbox.error.issues, ['task', 'sandbox']).join('; '));
    const id = this.table(who).make(task);
    const cost = { cpus: sandbox.data.cpus, memoryBytes: sandbox.data.memory };
    this.tracked.set(id, { owner: who, cost, release: null, sandbox: null, episode: null });
    return id;
  }

  async reset(who: Principal, id: string): Promise<{ observation: string; info: unknown }> {
    const t = this.own(who, id);
    this.end(t);
    t.release = this.quotas.take(who, t.cost);
    try {
      const result = await this.table(who).reset(id);
      const episode = this.deps.store.getEpisode(result.info.episodeId);
      t.episode = result.info.episodeId;
      t.sandbox = episode?.sandboxId ?? null;
      if (t.sandbox !== null) this.bySandbox.set(t.sandbox, { owner: who.keyId, episode: t.episode });
      return result;
    } catch (err) {
      this.end(t);
      throw err;
    }
  }

  async step(who: Principal, id: string, action: unknown): Promise<EnvStep> {
    const t = this.own(who, id);
    const result = await this.table(who).step(id, action);
    if (result.terminated || result.truncated) this.end(t);
    return result;
  }

  async close(who: Principal, id: string): Promise<void> {
    const t = this.own(who, id);
    this.tracked.delete(id);
    try {
      await this.table(who).close(id);
    } finally {
      this.end(t);
    }
  }

  async closeAll(): Promise<void> {
    await Promise.allSettled([...this.tables.values()].map((env) => env.closeAll()));
    for (const t of this.tracked.values()) this.end(t);
    this.tracked.clear();
  }

  ownerOfSandbox(sandboxId: string): string | undefined {
    return this.bySandbox.get(sandboxId)?.owner;
  }

  episodeOf(sandboxId: string): string | undefined {
    return this.bySandbox.get(sandboxId)?.episode;
  }

  listEpisodes(who: Principal, limit: number): EpisodeRecord[] {
    const all = this.deps.store.listEpisodes(seesAll(who) ? { limit } : { limit: Math.max(limit * 20, 10_000) });
    return all.filter((e) => seesAll(who) || e.policy === policyOf(who.keyId)).slice(0, limit);
  }

  getEpisode(who: Principal, id: string): { episode: EpisodeRecord; steps: StepRecord[] } {
    const episode = this.deps.store.getEpisode(id);
    const owner = episode?.policy.startsWith('env:key:') ? episode.policy.slice('env:key:'.length) : null;
    if (!episode || !canSee(who, owner ?? '')) throw notFound(`episode ${id.slice(0, 128)}`);
    return { episode, steps: this.deps.store.steps(id) };
  }

  /** The episode in progress ended (or never began): its quota share goes back. */
  private end(t: Tracked): void {
    t.release?.();
    t.release = null;
    if (t.sandbox !== null) this.bySandbox.delete(t.sandbox);
    t.sandbox = null;
  }
}
