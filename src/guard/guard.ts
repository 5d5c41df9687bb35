// The guard: watches every sandbox of a backend at the infrastructure layer (processes, resources,
// GPU, firewall denials, proxied streams and the protocols on them), turns what it sees into
// alerts with the rules, ties each alert to its sandbox, step and process, and enforces policy.
import type { Alert } from '../detect/alert.js';
import type { CompiledRule } from '../detect/rule-schema.js';
import { RuleEngine } from '../detect/rule-engine.js';
import { loadBuiltinRules } from '../detect/rule-loader.js';
import { EventBus } from '../monitor/event-bus.js';
import type { GuardEvent } from '../monitor/events.js';
import { ProcessMonitor } from '../monitor/process/process-monitor.js';
import { ResourceSampler } from '../monitor/resource/resource-sampler.js';
import { GpuSampler } from '../monitor/resource/gpu-sampler.js';
import { parseProcCgroup } from '../monitor/resource/proc-cgroup.js';
import { detectCgroupLayout } from '../sandbox/cgroup/cgroup-tree.js';
import type { ExecResult, Sandbox } from '../sandbox/backend.js';
import type { EgressCheck, EgressContext, EgressDenial, SandboxObserver } from '../sandbox/observer.js';
import { LocalSandbox } from '../sandbox/local/local-sandbox.js';
import { PraetorError, errorMessage } from '../core/errors.js';
import { realpathSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { defaultHostPaths } from '../sandbox/local/host-paths.js';
import { GuardPolicySchema, type GuardAction, type GuardPolicy } from './guard-policy.js';
import { cutsStream, enforce } from './enforcer.js';
import { WatchedSandbox } from './watched-sandbox.js';

export interface GuardOptions {
  /** Rules to run; the built-in set when absent. */
  readonly rules?: readonly CompiledRule[];
  /** Policy of sandboxes that get none of their own. */
  readonly policy?: Partial<GuardPolicy>;
  /** See every exec through the kernel's process events connector (default on). */
  readonly processMonitor?: boolean;
  readonly resourceIntervalMs?: number;
  /** Sample NVIDIA GPUs where nvidia-smi answers (default on). */
  readonly gpu?: boolean;
  readonly onError?: (message: string) => void;
}

/** /proc/<pid>/exe names the file with every link resolved; a path that does not exist stays as given. */
function realpathOr(path: string): string {
  try {
    return realpathSync(path);
  } catch {
    return path;
  }
}

export type AlertListener = (alert: Alert, sandbox: LocalSandbox) => void;

export class Guard implements SandboxObserver {
  readonly bus: EventBus;
  private readonly engine: RuleEngine;
  private readonly watched = new Map<string, WatchedSandbox>();
  private readonly alertListeners = new Set<AlertListener>();
  private readonly pending = new Set<Promise<unknown>>();
  private readonly defaultPolicy: GuardPolicy;
  private processes: ProcessMonitor | null = null;
  private resources: ResourceSampler | null = null;
  private gpus: GpuSampler | null = null;
  private gpuState: 'off' | 'on' | 'unavailable' = 'off';

  constructor(private readonly options: GuardOptions = {}) {
    const onError = options.onError ?? ((m: string) => process.stderr.write(`praetor guard: ${m}\n`));
    this.bus = new EventBus((err, event) => onError(`event listener failed on ${event.kind}: ${errorMessage(err)}`));
    let rules = options.rules;
    if (rules === undefined) {
      const builtin = loadBuiltinRules();
      if (builtin.errors.length > 0) {
        throw new PraetorError('invalid-config', `built-in rules do not load: ${builtin.errors.join('; ')}`);
      }
      rules = builtin.rules;
    }
    this.engine = new RuleEngine([...rules]);
    this.defaultPolicy = GuardPolicySchema.parse(options.policy ?? {});
  }

  private get onError(): (message: string) => void {
    return this.options.onError ?? ((m: string) => process.stderr.write(`praetor guard: ${m}\n`));
  }

  /** Starts the host-wide monitors. Must run before sandboxes are created, or their first execs go unseen. */
  async start(): Promise<void> {
    if (this.options.processMonitor !== false && this.processes === null) {
      this.processes = new ProcessMonitor({
        emit: (e) => this.fromMonitor(e),
        ownHelpers: [realpathOr(defaultHostPaths().helperPath)],
        onOverrun: () => this.onError('process events were lost (kernel connector overrun)'),
        onError: (m) => this.onError(m),
      });
      await this.processes.start();
    }
    if (this.resources === null) {
      this.resources = new ResourceSampler({
        layout: await detectCgroupLayout(),
        intervalMs: this.options.resourceIntervalMs ?? 1000,
        emit: (e) => this.fromMonitor(e),
      });
      this.resources.start();
    }
    if (this.options.gpu !== false && this.gpus === null) {
      const gpus = new GpuSampler({ emit: (e) => this.fromMonitor(e), pidToSandbox: (pid) => this.pidToSandbox(pid) });
      this.gpuState = (await gpus.start()) ? 'on' : 'unavailable';
      if (this.gpuState === 'on') this.gpus = gpus;
    }
  }

  /** Host pids of the guard's helper processes (for CPU accounting). */
  helperPids(): number[] {
    const pid = this.processes?.pid;
    return pid === null || pid === undefined ? [] : [pid];
  }

  /** Whether GPU use is watched on this host ('unavailable': no answering nvidia-smi). */
  get gpuMonitoring(): 'off' | 'on' | 'unavailable' {
    return this.gpuState;
  }

  async stop(): Promise<void> {
    this.processes?.stop();
    this.resources?.stop();
    this.gpus?.stop();
    this.processes = null;
    this.resources = null;
    this.gpus = null;
    await this.settle();
  }

  /** Waits until every enforcement started so far has finished. */
  async settle(): Promise<void> {
    while (this.pending.size > 0) await Promise.allSettled([...this.pending]);
  }

  setPolicy(sandboxId: string, policy: Partial<GuardPolicy>): void {
    const w = this.watched.get(sandboxId);
    if (!w) throw new PraetorError('sandbox-not-found', `guard does not watch sandbox ${sandboxId}`);
    w.policy = GuardPolicySchema.parse({ ...w.policy, ...policy });
  }

  alerts(sandboxId: string): readonly Alert[] {
    return this.watched.get(sandboxId)?.alerts ?? [];
  }

  actions(sandboxId: string): readonly GuardAction[] {
    return this.watched.get(sandboxId)?.actions ?? [];
  }

  onAlert(listener: AlertListener): () => void {
    this.alertListeners.add(listener);
    return () => this.alertListeners.delete(listener);
  }

  // ---- SandboxObserver ----

  sandboxCreated(sandbox: Sandbox): void {
    if (!(sandbox instanceof LocalSandbox)) return;
    const w = new WatchedSandbox(sandbox, this.defaultPolicy, (e) => this.publish(e));
    this.watched.set(sandbox.id, w);
    w.unsubscribers.push(
      this.resources?.watch(sandbox.id, { stepRunning: (s) => w.stepRunning(s), steps: () => w.liveSteps() }) ??
        (() => undefined),
    );
  }

  sandboxDestroyed(sandboxId: string): void {
    this.watched.get(sandboxId)?.close();
    // alerts and actions stay readable; monitoring stops
  }

  stepStarted(sandboxId: string, step: number, argv: readonly string[]): void {
    this.publish({ kind: 'step-start', time: Date.now(), sandboxId, step, argv, exitCode: null });
  }

  stepEnded(sandboxId: string, step: number, result: ExecResult): void {
    this.publish({ kind: 'step-end', time: Date.now(), sandboxId, step, argv: [], exitCode: result.exitCode });
  }

  async checkEgress(ctx: EgressCheck): Promise<EgressDenial | null> {
    const w = this.watched.get(ctx.sandboxId);
    if (!w) return null;
    await w.attributeConnection(ctx);
    return w.isBlocked(ctx.host, ctx.port)
      ? { allowed: false, reason: `blocked by the guard after an alert on ${ctx.host}:${ctx.port}` }
      : null;
  }

  inspectStream(ctx: EgressContext & { readonly direction: 'out' | 'in' }, chunk: Buffer): void {
    const w = this.watched.get(ctx.sandboxId);
    if (!w) return;
    const event = w.inspect(ctx, chunk);
    if (event === null) return;
    const alerts = this.publish(event);
    const cut = alerts.filter((a) => cutsStream(a, w.policy));
    if (cut.length > 0) {
      w.block(ctx.host, ctx.port);
      throw new PraetorError('policy-denied', `stream to ${ctx.host}:${ctx.port} cut: ${cut.map((a) => a.ruleId).join(', ')}`);
    }
  }

  // ---- events to alerts to enforcement ----

  private fromMonitor(event: GuardEvent): void {
    if (this.watched.has(event.sandboxId)) this.publish(event);
  }

  private publish(event: GuardEvent): Alert[] {
    const w = this.watched.get(event.sandboxId);
    if (!w) return [];
    w.observe(event);
    this.bus.publish(event);
    const alerts = this.engine.process(event);
    for (const alert of alerts) this.raise(alert, w, event);
    return alerts;
  }

  private raise(alert: Alert, w: WatchedSandbox, event: GuardEvent): void {
    w.alerts.push(alert);
    for (const l of this.alertListeners) {
      try {
        l(alert, w.sandbox);
      } catch (err) {
        this.onError(`alert listener failed: ${errorMessage(err)}`);
      }
    }
    const stream = event.kind === 'proxy-connection' && event.decision === 'allowed' ? { host: event.host, port: event.port } : undefined;
    const job = enforce(alert, { sandbox: w.sandbox, policy: w.policy, stream }, w.enforced).then((actions) => {
      w.actions.push(...actions);
      for (const a of actions) if (!a.ok) this.onError(`${a.action} for ${alert.ruleId} failed: ${a.error ?? ''}`);
    });
    this.pending.add(job);
    void job.finally(() => this.pending.delete(job));
  }

  private async pidToSandbox(pid: number): Promise<{ sandboxId: string; step: number | null; granted: boolean } | null> {
    const text = await readFile(`/proc/${pid}/cgroup`, 'utf8').catch(() => null);
    const where = text === null ? null : parseProcCgroup(text);
    const w = where ? this.watched.get(where.sandboxId) : undefined;
    if (!where || !w) return null;
    const step = where.leaf.startsWith('step-') ? Number(where.leaf.slice(5)) : null;
    return { sandboxId: where.sandboxId, step, granted: w.sandbox.info().options.gpu };
  }
}
