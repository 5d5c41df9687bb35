// The guard as the red team's sandboxes see it: every hook goes to the real guard, plus the two
// things a scenario needs from outside the sandbox. It gives each new sandbox the scenario's guard
// policy before its first command, and it can make the guard "die" for a sandbox mid-episode, after
// which the proxy must fail closed (a hook that throws denies).
import type { GuardPolicy } from '../guard/guard-policy.js';
import type { Guard } from '../guard/guard.js';
import type { ExecResult, Sandbox } from '../sandbox/backend.js';
import type { ActionRefusal, EgressCheck, EgressDenial, SandboxAction, SandboxObserver, StreamContext } from '../sandbox/observer.js';
import type { MonitorFailure } from '../sandbox/monitor-source.js';

export class RedteamObserver implements SandboxObserver {
  private nextPolicy: Partial<GuardPolicy> = {};
  private readonly dead = new Set<string>();
  private readonly stepListeners = new Set<(sandboxId: string, step: number) => void>();

  constructor(private readonly guard: Guard) {}

  /** Policy every sandbox created from now on gets. */
  usePolicy(policy: Partial<GuardPolicy>): void {
    this.nextPolicy = policy;
  }

  /** From now on the guard answers nothing for this sandbox, as if it had crashed. */
  kill(sandboxId: string): void {
    this.dead.add(sandboxId);
  }

  /** Called as each sandbox exec step starts, with the sandbox step number. */
  onStepStarted(listener: (sandboxId: string, step: number) => void): () => void {
    this.stepListeners.add(listener);
    return () => this.stepListeners.delete(listener);
  }

  checkEgress(ctx: EgressCheck): Promise<EgressDenial | null> {
    if (this.dead.has(ctx.sandboxId)) return Promise.reject(new Error('the guard is not answering'));
    return Promise.resolve(this.guard.checkEgress(ctx));
  }

  inspectStream(ctx: StreamContext, chunk: Buffer): boolean {
    if (this.dead.has(ctx.sandboxId)) throw new Error('the guard is not answering');
    return this.guard.inspectStream(ctx, chunk);
  }

  /** With a command policy, a dead guard refuses every exec (fail closed); without one, nothing changes. */
  authorize(sandboxId: string, step: number, action: SandboxAction): Promise<ActionRefusal | null> {
    if (this.dead.has(sandboxId) && this.guard.hasCommandPolicy(sandboxId)) return Promise.reject(new Error('the guard is not answering'));
    return this.guard.authorize(sandboxId, step, action);
  }

  sandboxCreated(sandbox: Sandbox): void {
    this.guard.sandboxCreated(sandbox);
    this.guard.setPolicy(sandbox.id, this.nextPolicy);
    // the task's setup runs unchecked, as it runs unenforced: the runner sets the policy at the first call
    this.guard.setCommandPolicy(sandbox.id, null);
  }

  sandboxDestroyed(sandboxId: string): void {
    this.dead.delete(sandboxId);
    this.guard.sandboxDestroyed(sandboxId);
  }

  admitStep(sandboxId: string): void | Promise<void> {
    return this.guard.admitStep(sandboxId);
  }

  monitorDown(failure: MonitorFailure): void {
    this.guard.monitorDown(failure);
  }

  monitorUp(monitor: string): void {
    this.guard.monitorUp(monitor);
  }

  stepStarted(sandboxId: string, step: number, argv: readonly string[]): void {
    for (const listener of this.stepListeners) listener(sandboxId, step);
    if (!this.dead.has(sandboxId)) this.guard.stepStarted(sandboxId, step, argv);
  }

  stepEnded(sandboxId: string, step: number, result: ExecResult): void {
    if (!this.dead.has(sandboxId)) this.guard.stepEnded(sandboxId, step, result);
  }
}
