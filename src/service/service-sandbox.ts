// One sandbox as the service holds it: the backend's sandbox, its owner, the options as asked
// (env and labels are the service's, so a warm sandbox can serve a request that sets them), its
// shell sessions, its quota share, and its state as the API reports it.
import type { Sandbox, SandboxOptions } from '../sandbox/backend.js';
import type { Guard } from '../guard/guard.js';
import type { GuardPolicy } from '../guard/guard-policy.js';
import { SessionTable } from './shell-session.js';
import type { SandboxState, SandboxView } from './sandbox-schemas.js';

/** A sandbox that can be frozen: not every backend offers it, so the service asks. */
export interface Freezable {
  setFrozen(frozen: boolean): Promise<void>;
}

export function canFreeze(sandbox: Sandbox): sandbox is Sandbox & Freezable {
  return typeof (sandbox as Partial<Freezable>).setFrozen === 'function';
}

export interface ServiceSandboxInit {
  readonly sandbox: Sandbox;
  readonly owner: string;
  readonly options: SandboxOptions;
  readonly policy: GuardPolicy;
  readonly release: () => void;
}

export class ServiceSandbox {
  readonly id: string;
  readonly owner: string;
  readonly createdAt = Date.now();
  readonly sandbox: Sandbox;
  readonly options: SandboxOptions;
  readonly policy: GuardPolicy;
  readonly sessions = new SessionTable();
  /** Execs under way, for shutdown and the frozen check. */
  readonly running = new Set<Promise<unknown>>();
  private frozenByApi = false;
  private thawedAt = 0;
  private gone = false;
  private readonly releaseQuota: () => void;

  constructor(init: ServiceSandboxInit) {
    this.sandbox = init.sandbox;
    this.id = init.sandbox.id;
    this.owner = init.owner;
    this.options = init.options;
    this.policy = init.policy;
    this.releaseQuota = init.release;
  }

  /** Destroyed when the API destroyed it or the backend no longer has it (the guard's terminate). */
  state(guard: Guard, alive: boolean): SandboxState {
    if (this.gone || !alive) return 'destroyed';
    if (this.frozenByApi) return 'frozen';
    const frozenByGuard = guard.actions(this.id).some((a) => a.action === 'freeze' && a.ok && a.time >= this.thawedAt);
    return frozenByGuard ? 'frozen' : 'running';
  }

  markFrozen(frozen: boolean): void {
    this.frozenByApi = frozen;
    if (!frozen) this.thawedAt = Date.now();
  }

  /** Once: the quota goes back and the sandbox reads as destroyed. */
  markGone(): boolean {
    if (this.gone) return false;
    this.gone = true;
    this.releaseQuota();
    return true;
  }

  track<T>(work: Promise<T>): Promise<T> {
    this.running.add(work);
    void work.finally(() => this.running.delete(work)).catch(() => undefined);
    return work;
  }

  view(guard: Guard, alive: boolean): SandboxView {
    const o = this.options;
    return {
      id: this.id,
      owner: this.owner,
      createdAt: this.createdAt,
      state: this.state(guard, alive),
      steps: this.sandbox.info().steps,
      gpus: (this.sandbox.info().gpuGrant?.units ?? []).map((u) => ({ index: u.gpuIndex, uuid: u.uuid, name: u.name })),
      options: {
        cpus: o.cpus,
        memory: o.memory,
        pids: o.pids,
        disk: o.disk,
        env: o.env,
        allowDomains: o.allowDomains,
        denyDomains: o.denyDomains,
        allowCidrs: o.allowCidrs,
        gpu: o.gpu,
        ...(o.gpus !== undefined ? { gpus: o.gpus } : {}),
        allowUnmonitoredGpu: o.allowUnmonitoredGpu,
        labels: o.labels,
        guardMode: this.policy.mode,
        guardMinSeverity: this.policy.minSeverity,
      },
    };
  }
}
