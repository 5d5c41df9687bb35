// The guard: watches every sandbox of a backend at the infrastructure layer (processes, resources,
// GPU, firewall denials, proxied streams and the protocols on them), turns what it sees into
// alerts with the rules, ties each alert to its sandbox, step and process, and enforces policy.
// Everything it sees and does goes out through one subscription, `guard.events` (guard-events.ts).
import type { Alert } from '../detect/alert.js';
import type { CompiledRule } from '../detect/rule-schema.js';
import { RuleEngine } from '../detect/rule-engine.js';
import { openCommandContext } from '../detect/command-fields.js';
import { loadBuiltinRules } from '../detect/rule-loader.js';
import { warmRules } from '../detect/rule-warmup.js';
import { EventBus } from '../monitor/event-bus.js';
import type { GuardEvent } from '../monitor/events.js';
import { ProcessMonitor } from '../monitor/process/process-monitor.js';
import { FileMonitor } from '../monitor/file/file-monitor.js';
import { ResourceSampler } from '../monitor/resource/resource-sampler.js';
import { GpuSampler, type RawGpuSample } from '../monitor/resource/gpu-sampler.js';
import type { GpuUse } from '../monitor/resource/gpu-accounting.js';
import { parseProcCgroup } from '../monitor/resource/proc-cgroup.js';
import { detectCgroupLayout } from '../sandbox/cgroup/cgroup-tree.js';
import type { CgroupLayout } from '../sandbox/cgroup/cgroup-layout.js';
import type { ExecResult, Sandbox } from '../sandbox/backend.js';
import type { ActionRefusal, EgressCheck, EgressDenial, SandboxAction, SandboxObserver, StreamContext } from '../sandbox/observer.js';
import type { PolicyGate } from '../policy/policy-gate.js';
import type { PolicyDecisionRecord } from '../policy/policy-record.js';
import { PraetorError, errorMessage } from '../core/errors.js';
import { formatIssues } from '../core/schema-issues.js';
import { MonitorSupervisor, type MonitorFailure } from '../sandbox/monitor-source.js';
import { realpathSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { defaultHostPaths } from '../sandbox/local/host-paths.js';
import { GuardPolicySchema, type GuardAction, type GuardPolicy } from './guard-policy.js';
import { cutsStream, enforce } from './enforcer.js';
import { WatchedSandbox } from './watched-sandbox.js';
import type { GuardEvents, GuardStreamEvent } from './guard-events.js';
import { SandboxNotWatchableError } from './guard-errors.js';
import { Blindness, DEFAULT_BLIND_HOLD_MS, refuseIfFrozen } from './blindness.js';

export interface GuardOptions {
  /** Rules to run; the built-in set when absent. */
  readonly rules?: readonly CompiledRule[];
  /** Policy of sandboxes that get none of their own. */
  readonly policy?: Partial<GuardPolicy>;
  /** See every exec through the kernel's process events connector (default on). */
  readonly processMonitor?: boolean;
  /** See reads of bait and credential files through fanotify (default on). */
  readonly fileMonitor?: boolean;
  readonly resourceIntervalMs?: number;
  /** Sample NVIDIA GPUs where nvidia-smi answers (default on). */
  readonly gpu?: boolean;
  /** The GPU sampler to run (tests and the bench replay recordings through one); nvidia-smi's by default. */
  readonly gpuSampler?: (deps: GpuSamplerDeps) => GpuSampler;
  readonly onError?: (message: string) => void;
  /** How long a step waits for a dead monitor to come back before it is refused (default 30 s). */
  readonly blindHoldMs?: number;
  /** The command policy every sandbox gets unless told otherwise (setCommandPolicy). */
  readonly commandPolicy?: PolicyGate;
  /** Socket-aware exec signals and step usage (default on); off only for the bench's paired figures. */
  readonly processSignals?: boolean;
  /** Destroyed sandboxes whose alerts, actions and decisions stay readable: the newest this many (default 512). */
  readonly keepDestroyed?: number;
}

/** What the guard holds per sandbox (GuardOptions.keepDestroyed bounds the destroyed ones). */
export interface GuardFootprint {
  /** Sandboxes watched now. */
  readonly watching: number;
  /** Destroyed sandboxes whose record is still readable. */
  readonly kept: number;
  /** Processes and proxied streams tracked, over every sandbox. */
  readonly processes: number;
  readonly connections: number;
  /** Enforcement and signal reads under way. */
  readonly jobs: number;
  /** Sandboxes the resource sampler reads. */
  readonly sampled: number;
}

const DEFAULT_KEEP_DESTROYED = 512;

/** What the guard gives the GPU sampler it starts. */
export interface GpuSamplerDeps {
  readonly emit: (e: RawGpuSample) => void;
  readonly pidToSandbox: (pid: number) => Promise<{ sandboxId: string; step: number | null } | null>;
  readonly grantedSandboxes: () => readonly string[];
  readonly onError: (err: unknown) => void;
}

export type PolicyDecisionListener = (decision: PolicyDecisionRecord) => void;

/** /proc/<pid>/exe names the file with every link resolved; a path that does not exist stays as given. */
function realpathOr(path: string): string {
  try {
    return realpathSync(path);
  } catch {
    return path;
  }
}

/** Checks a guard policy at the guard's boundary (options, setPolicy): a bad one is a typed error, not a zod throw. */
function parsePolicy(input: Partial<GuardPolicy>): GuardPolicy {
  const parsed = GuardPolicySchema.safeParse(input);
  if (!parsed.success) throw new PraetorError('invalid-config', `invalid guard policy: ${formatIssues(parsed.error.issues).join('; ')}`);
  return parsed.data;
}

export class Guard implements SandboxObserver {
  private readonly bus: EventBus<GuardStreamEvent>;
  private readonly engine: RuleEngine;
  private readonly watched = new Map<string, WatchedSandbox>();
  /** Destroyed sandboxes still in `watched` (for their record), oldest first. */
  private readonly destroyed: string[] = [];
  private readonly pending = new Set<Promise<unknown>>();
  private readonly defaultPolicy: GuardPolicy;
  private processes: ProcessMonitor | null = null;
  private processSupervisor: MonitorSupervisor | null = null;
  private files: FileMonitor | null = null;
  private fileSupervisor: MonitorSupervisor | null = null;
  /** Per sandbox until its files are marked: null once marked, the error when they can not be. */
  private readonly fileMarking = new Map<string, Promise<Error | null>>();
  private readonly blindness: Blindness;
  private resources: ResourceSampler | null = null;
  private gpus: GpuSampler | null = null;
  private gpuSupervisor: MonitorSupervisor | null = null;
  private gpuState: 'off' | 'on' | 'unavailable' = 'off';
  private commandContextSet = false;
  private cgroupLayout: CgroupLayout | null = null;
  private readonly rules: readonly CompiledRule[];
  private readonly warming = new AbortController();

  constructor(private readonly options: GuardOptions = {}) {
    const onError = options.onError ?? ((m: string) => process.stderr.write(`praetor guard: ${m}\n`));
    this.bus = new EventBus<GuardStreamEvent>((err, event) => onError(`${event.kind} listener failed: ${errorMessage(err)}`));
    let rules = options.rules;
    if (rules === undefined) {
      const builtin = loadBuiltinRules();
      if (builtin.errors.length > 0) {
        throw new PraetorError('invalid-config', `built-in rules do not load: ${builtin.errors.join('; ')}`);
      }
      rules = builtin.rules;
    }
    this.engine = new RuleEngine([...rules]);
    this.rules = rules;
    this.defaultPolicy = parsePolicy(options.policy ?? {});
    this.blindness = new Blindness({
      sandboxes: () => this.watched.values(),
      publish: (e) => void this.publish(e),
      notify: (a, w) => this.notify(a, w),
      recordAction: (a, w) => this.recordAction(a, w),
      track: (job, w) => this.track(job, w),
      onError: (m) => this.onError(m),
      holdMs: options.blindHoldMs ?? DEFAULT_BLIND_HOLD_MS,
    });
  }

  /** Every event, alert and action of every watched sandbox: `guard.events.subscribe(filter, listener)`. */
  get events(): GuardEvents {
    return this.bus;
  }

  private get onError(): (message: string) => void {
    return this.options.onError ?? ((m: string) => process.stderr.write(`praetor guard: ${m}\n`));
  }

  /** Starts the host-wide monitors. Must run before sandboxes are created, or their first execs go unseen. */
  async start(): Promise<void> {
    // the command-text fields (src/shell's parser, the tool catalogue) that text rules match on:
    // loaded (about 0.1 s) while the monitors start, in place before any sandbox exists
    const commandContext = this.commandContextSet ? null : openCommandContext();
    commandContext?.catch(() => undefined); // awaited below; not unhandled if the monitors fail first
    await this.startMonitors();
    if (commandContext !== null) {
      const { context, errors } = await commandContext;
      if (errors.length > 0) throw new PraetorError('invalid-config', `the tool catalogue does not load: ${errors.join('; ')}`);
      this.engine.useCommandContext(context);
      this.commandContextSet = true;
    }
  }

  private async startMonitors(): Promise<void> {
    const starting: Promise<void>[] = [];
    if (this.options.processMonitor !== false && this.processes === null) {
      this.processes = new ProcessMonitor({
        emit: (e) => this.fromMonitor(e),
        ownHelpers: [realpathOr(defaultHostPaths().helperPath)],
        onOverrun: () => this.onError('process events were lost (kernel connector overrun)'),
        onError: (m) => this.onError(m),
      });
      // A dead helper blinds the guard: its sandboxes are held, and it is restarted.
      this.processSupervisor = new MonitorSupervisor(this.processes, {
        onDown: (f) => this.monitorDown(f),
        onUp: (m) => this.monitorUp(m),
        onRetryFailed: (m, err, n) => this.onError(`${m} restart ${n} failed: ${errorMessage(err)}`),
      });
      starting.push(this.processSupervisor.start());
    }
    if (this.options.fileMonitor !== false && this.files === null) {
      this.files = new FileMonitor({
        emit: (e) => this.fromMonitor(e),
        onError: (m) => this.onError(m),
        processOf: (sandboxId, pid) => this.watched.get(sandboxId)?.processTable.get(pid) ?? null,
      });
      // like the process monitor: its death holds every sandbox until it is back with its marks
      this.fileSupervisor = new MonitorSupervisor(this.files, {
        onDown: (f) => this.monitorDown(f),
        onUp: (m) => this.monitorUp(m),
        onRetryFailed: (m, err, n) => this.onError(`${m} restart ${n} failed: ${errorMessage(err)}`),
      });
      starting.push(this.fileSupervisor.start());
    }
    if (this.options.gpu !== false && this.gpus === null) starting.push(this.startGpuSampler());
    // The helpers start side by side (each waits on its own helper's ready line); every one has
    // settled, up or failed, before start() returns, and stop() stops those that came up.
    const started = await Promise.allSettled(starting);
    for (const s of started) if (s.status === 'rejected') throw s.reason;
    if (this.resources === null) {
      this.cgroupLayout = await detectCgroupLayout();
      this.resources = new ResourceSampler({
        layout: this.cgroupLayout,
        intervalMs: this.options.resourceIntervalMs ?? 1000,
        emit: (e) => this.fromMonitor(e),
      });
      this.resources.start();
    }
  }

  /**
   * The GPU sampler where nvidia-smi answers. Its death blinds the guard for the sandboxes that hold
   * GPUs (held until it is back, see blindness.ts); a host where it can not start has GPU monitoring
   * 'unavailable', and GPU grants are refused there (LocalBackend asks gpuWatch()).
   */
  private async startGpuSampler(): Promise<void> {
    const deps: GpuSamplerDeps = {
      emit: (e) => this.fromGpu(e),
      pidToSandbox: (pid) => this.pidToSandbox(pid),
      grantedSandboxes: () => [...this.watched.values()].filter((w) => !w.isClosed && w.gpuGrant !== null).map((w) => w.sandbox.id),
      onError: (err) => this.onError(`gpu sampler: ${errorMessage(err)}`),
    };
    const gpus = this.options.gpuSampler?.(deps) ?? new GpuSampler(deps);
    if (!(await gpus.available())) {
      this.gpuState = 'unavailable';
      return;
    }
    const supervisor = new MonitorSupervisor(gpus, {
      onDown: (f) => this.monitorDown(f),
      onUp: (m) => this.monitorUp(m),
      onRetryFailed: (m, err, n) => this.onError(`${m} restart ${n} failed: ${errorMessage(err)}`),
    });
    try {
      await supervisor.start();
    } catch (err) {
      this.onError(`gpu sampler does not start: ${errorMessage(err)}`);
      this.gpuState = 'unavailable';
      return;
    }
    this.gpus = gpus;
    this.gpuSupervisor = supervisor;
    this.gpuState = 'on';
  }

  /** Host pids of the guard's helper processes (for CPU accounting). */
  helperPids(): number[] {
    const pid = this.processes?.pid;
    return pid === null || pid === undefined ? [] : [pid];
  }

  /** Host pid of the file monitor's helper (praetor-fanotify); null when it does not run. */
  fileMonitorPid(): number | null {
    return this.files?.pid ?? null;
  }

  /** Whether GPU use is watched on this host ('unavailable': no answering nvidia-smi). */
  get gpuMonitoring(): 'off' | 'on' | 'unavailable' {
    return this.gpuState;
  }

  /** SandboxObserver: asked by the backend before it grants a GPU (a dead sampler counts as not watching). */
  gpuWatch(): 'off' | 'on' | 'unavailable' {
    return this.gpuState === 'on' && this.gpuSupervisor?.down !== null ? 'unavailable' : this.gpuState;
  }

  /** The running GPU sampler (its totals, for the bench and tests); null where GPUs are not watched. */
  get gpuSampler(): GpuSampler | null {
    return this.gpus;
  }

  /** GPU-seconds and peak GPU memory of a sandbox, per step and in all. */
  gpuUsage(sandboxId: string): { steps: Map<number | null, GpuUse>; total: GpuUse } | null {
    return this.watched.get(sandboxId)?.gpuAccounting.report() ?? null;
  }

  /** Compiles the rules' regexes left for their first use, in the background; stop() ends it (rule-warmup.ts). */
  warmRules(): Promise<void> {
    return warmRules(this.rules, this.warming.signal);
  }

  async stop(): Promise<void> {
    this.warming.abort();
    this.processSupervisor?.stop();
    this.processSupervisor = null;
    this.fileSupervisor?.stop();
    this.fileSupervisor = null;
    this.files = null;
    this.resources?.stop();
    this.gpuSupervisor?.stop();
    this.gpuSupervisor = null;
    this.processes = null;
    this.resources = null;
    this.gpus = null;
    await this.settle();
  }

  /** Waits until every enforcement and every signal read (a refused connection's process) started so far has finished. */
  async settle(): Promise<void> {
    const jobs = (): Promise<unknown>[] => [...this.pending, ...[...this.watched.values()].flatMap((w) => [...w.jobs])];
    for (let left = jobs(); left.length > 0; left = jobs()) await Promise.allSettled(left);
  }

  setPolicy(sandboxId: string, policy: Partial<GuardPolicy>): void {
    const w = this.watched.get(sandboxId);
    if (!w) throw new PraetorError('sandbox-not-found', `guard does not watch sandbox ${sandboxId}`);
    w.policy = parsePolicy({ ...w.policy, ...policy });
  }

  alerts(sandboxId: string): readonly Alert[] {
    return this.watched.get(sandboxId)?.alerts ?? [];
  }

  actions(sandboxId: string): readonly GuardAction[] {
    return this.watched.get(sandboxId)?.actions ?? [];
  }

  /** Sets (or, with null, lifts) the command policy of one sandbox. */
  setCommandPolicy(sandboxId: string, gate: PolicyGate | null): void {
    const w = this.watched.get(sandboxId);
    if (!w) throw new PraetorError('sandbox-not-found', `guard does not watch sandbox ${sandboxId}`);
    w.commandPolicy = gate;
  }

  hasCommandPolicy(sandboxId: string): boolean {
    return (this.watched.get(sandboxId)?.commandPolicy ?? null) !== null;
  }

  /** Every command-policy decision about a sandbox so far. */
  policyDecisions(sandboxId: string): readonly PolicyDecisionRecord[] {
    return this.watched.get(sandboxId)?.decisions ?? [];
  }

  /** Kept on the sandbox and published on `events` as a `policy-decision`. */
  private recordDecision(w: WatchedSandbox, decision: PolicyDecisionRecord): void {
    w.decisions.push(decision);
    this.bus.publish({ kind: 'policy-decision', time: decision.time, sandboxId: decision.sandboxId, step: decision.step, decision });
    if (decision.decision === 'allow') return;
    // a refusal or a question is a finding on its step, and sequence rules may build on it
    const { time, sandboxId, step, source, target, final, ruleId, technique, pid } = decision;
    this.publish({ kind: 'policy-verdict', time, sandboxId, step, source, target, decision: decision.decision, final, policyRule: ruleId, technique, pid });
  }

  // ---- SandboxObserver ----

  /** Starts watching a new sandbox; throws SandboxNotWatchableError for one it can not watch (the backend then destroys it). */
  sandboxCreated(sandbox: Sandbox): void {
    const host = sandbox.watchable();
    if (host === null) throw new SandboxNotWatchableError(sandbox.id, sandbox.info().backend);
    const w = new WatchedSandbox(sandbox, host, this.defaultPolicy, (e) => this.publish(e), this.options.commandPolicy ?? null, this.options.processSignals === false ? null : this.cgroupLayout);
    this.watched.set(sandbox.id, w);
    const files = this.files;
    if (files !== null) {
      const watch = { sandboxId: sandbox.id, homeDir: host.homeDir, homeInSandbox: host.homeInSandbox, bait: host.bait ?? [] };
      this.fileMarking.set(sandbox.id, files.watch(watch).then(() => null, (err: unknown) => (err instanceof Error ? err : new Error(String(err)))));
      w.unsubscribers.push(() => files.unwatch(sandbox.id));
    }
    w.unsubscribers.push(
      this.resources?.watch(sandbox.id, { stepRunning: (s) => w.stepRunning(s), steps: () => w.liveSteps() }) ??
        (() => undefined),
    );
  }

  sandboxDestroyed(sandboxId: string): void {
    this.fileMarking.delete(sandboxId);
    const w = this.watched.get(sandboxId);
    if (w === undefined || w.isClosed) return;
    // Monitoring stops and its state goes; alerts, actions and decisions stay readable for the
    // newest destroyed sandboxes, so a daemon that runs for weeks does not grow with every one.
    w.close();
    this.destroyed.push(sandboxId);
    const keep = this.options.keepDestroyed ?? DEFAULT_KEEP_DESTROYED;
    while (this.destroyed.length > keep) {
      const oldest = this.destroyed.shift();
      if (oldest !== undefined) this.watched.delete(oldest);
    }
  }

  /** What the guard holds per sandbox now. */
  footprint(): GuardFootprint {
    let processes = 0;
    let connections = 0;
    for (const w of this.watched.values()) {
      const f = w.footprint;
      processes += f.processes;
      connections += f.connections;
    }
    return {
      watching: this.watched.size - this.destroyed.length,
      kept: this.destroyed.length,
      processes,
      connections,
      jobs: this.pending.size,
      sampled: this.resources?.watchedCount ?? 0,
    };
  }

  /** Holds a step while a monitor of its sandbox is down; refuses it in a sandbox the guard froze. */
  admitStep(sandboxId: string): void | Promise<void> {
    const w = this.watched.get(sandboxId);
    if (!w) return;
    refuseIfFrozen(w);
    const marking = this.fileMarking.get(sandboxId);
    if (marking !== undefined) return this.admitMarked(w, marking);
    if (this.blindness.blindFor(w) !== null) return this.blindness.admit(w);
  }

  /** The first step waits until the sandbox's bait is watched; none runs where it can not be. */
  private async admitMarked(w: WatchedSandbox, marking: Promise<Error | null>): Promise<void> {
    const err = await marking;
    if (err !== null) throw new PraetorError('policy-denied', `the guard can not watch the bait of sandbox ${w.sandbox.id}: ${err.message}`);
    this.fileMarking.delete(w.sandbox.id);
    refuseIfFrozen(w);
    if (this.blindness.blindFor(w) !== null) await this.blindness.admit(w);
  }

  /** A monitor went blind (also the backend's hook for its own monitors): see blindness.ts. */
  monitorDown(failure: MonitorFailure): void {
    this.blindness.monitorDown(failure);
  }

  monitorUp(monitor: string): void {
    this.blindness.monitorUp(monitor);
  }

  /** The command policy, before anything runs: deny refuses, ask waits for an approval. */
  async authorize(sandboxId: string, step: number, action: SandboxAction): Promise<ActionRefusal | null> {
    const w = this.watched.get(sandboxId);
    const gate = w?.commandPolicy;
    if (!w || !gate) return null;
    const decision = await gate.decide(sandboxId, step, action);
    this.recordDecision(w, decision);
    return decision.final === 'deny' ? { reason: decision.reason } : null;
  }

  stepStarted(sandboxId: string, step: number, argv: readonly string[]): void {
    const time = Date.now();
    this.publish({ kind: 'step-start', time, sandboxId, step, argv, exitCode: null });
    const w = this.watched.get(sandboxId);
    w?.background(w.stepUsage.began(step, time));
  }

  stepEnded(sandboxId: string, step: number, result: ExecResult): void {
    const time = Date.now();
    this.publish({ kind: 'step-end', time, sandboxId, step, argv: [], exitCode: result.exitCode });
    // the step's CPU over its whole life, read before a one-shot run destroys the sandbox
    const w = this.watched.get(sandboxId);
    this.track(w?.stepUsage.ended(step, time).then((usage) => usage && this.publish(usage)) ?? Promise.resolve(), w);
    // sockets left listening by the step (servers, bind shells), with their process and step
    if (w && !w.isClosed && this.options.processSignals !== false) w.background(w.socketSignals.onStepEnd(time));
  }

  async checkEgress(ctx: EgressCheck): Promise<EgressDenial | null> {
    const w = this.watched.get(ctx.sandboxId);
    if (!w) return null;
    const blind = this.blindness.blindFor(w);
    if (blind !== null) return { allowed: false, reason: `the guard is blind (${blind.monitor} down): no egress until it is back` };
    const step = await w.attributeConnection(ctx);
    if (w.isBlocked(ctx.host, ctx.port)) return { allowed: false, reason: `blocked by the guard after an alert on ${ctx.host}:${ctx.port}` };
    const gate = w.commandPolicy;
    if (gate === null || !ctx.policyAllowed) return null;
    const decision = await gate.decideNetwork(ctx.sandboxId, step, ctx.host, ctx.port);
    // every egress decision the policy had a rule for is recorded; plain allows are the proxy's record
    if (decision.ruleId !== null || decision.final === 'deny') this.recordDecision(w, decision);
    return decision.final === 'deny' ? { allowed: false, reason: decision.reason } : null;
  }

  inspectStream(ctx: StreamContext, chunk: Buffer): boolean {
    const w = this.watched.get(ctx.sandboxId);
    if (!w) return false;
    const { event, more } = w.inspect(ctx, chunk);
    if (event === null) return more;
    const alerts = this.publish(event);
    const cut = alerts.filter((a) => cutsStream(a, w.policy));
    if (cut.length > 0) {
      w.block(ctx.host, ctx.port);
      throw new PraetorError('policy-denied', `stream to ${ctx.host}:${ctx.port} cut: ${cut.map((a) => a.ruleId).join(', ')}`);
    }
    return more;
  }

  // ---- events to alerts to enforcement ----

  private fromMonitor(event: GuardEvent): void {
    const w = this.watched.get(event.sandboxId);
    if (!w || w.isOwnLaunch(event)) return;
    if (event.kind === 'process-start') this.checkProcess(event);
    this.publish(event);
    if (event.kind === 'process-start' && !w.isClosed && this.options.processSignals !== false) w.background(w.socketSignals.onExec(event));
    if (event.kind === 'process-start' && !w.isClosed) w.background(w.offenders.onExec(event));
  }

  /** A program started inside a step that the command policy denies is killed as soon as it is seen. */
  private checkProcess(event: Extract<GuardEvent, { kind: 'process-start' }>): void {
    const w = this.watched.get(event.sandboxId);
    const gate = w?.commandPolicy;
    if (!w || !gate || event.argv === null || event.argv.length === 0 || event.step === null) return;
    const decision = gate.checkProcess(event.sandboxId, event.step, event.argv, event.pid);
    if (decision === null) return;
    this.recordDecision(w, decision);
    this.track(
      w.sandbox.killProcessTree(event.pid).catch((err: unknown) => this.onError(`killing denied process ${event.pid}: ${errorMessage(err)}`)),
      w,
    );
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
    this.notify(alert, w);
    if (alert.finding === true) return; // kept with its step, never enforced
    const stream = event.kind === 'proxy-connection' && event.decision === 'allowed' ? { host: event.host, port: event.port } : undefined;
    this.track(
      enforce(alert, { sandbox: w.sandbox, policy: w.policy, stream, offenders: (a) => w.offenders.find(a) }, w.enforced).then((actions) => {
        for (const a of actions) this.recordAction(a, w);
        for (const a of actions) if (!a.ok) this.onError(`${a.action} for ${alert.ruleId} failed: ${a.error ?? ''}`);
        // A frozen sandbox is kept for inspection: later steps would only hang in it.
        if (actions.some((a) => a.action === 'freeze' && a.ok)) w.frozenBy ??= alert.id;
      }),
      w,
    );
  }

  private notify(alert: Alert, w: WatchedSandbox): void {
    w.alerts.push(alert);
    w.noteMiningSignal(alert);
    this.bus.publish({ kind: 'alert', time: alert.time, sandboxId: alert.sandboxId, step: alert.step, alert });
  }

  /** Kept on the sandbox and published on `events` as an `action`. */
  private recordAction(action: GuardAction, w: WatchedSandbox): void {
    w.actions.push(action);
    this.bus.publish({ kind: 'action', time: action.time, sandboxId: action.sandboxId, action });
  }

  /** Keeps a job where settle() waits for it, and with `w` where that sandbox's recovery from blindness does. */
  private track(job: Promise<unknown>, w?: WatchedSandbox): void {
    const safe = job.catch((err: unknown) => this.onError(`guard action failed: ${errorMessage(err)}`));
    this.pending.add(safe);
    w?.jobs.add(safe);
    void safe.finally(() => {
      this.pending.delete(safe);
      w?.jobs.delete(safe);
    });
  }

  /** A GPU sample completed with what only the guard knows: the grant, the step's state, mining signals. */
  private fromGpu(raw: RawGpuSample): void {
    const w = this.watched.get(raw.sandboxId);
    if (!w) return;
    const event = w.completeGpuSample(raw);
    w.gpuAccounting.add(event);
    this.fromMonitor(event);
  }

  private async pidToSandbox(pid: number): Promise<{ sandboxId: string; step: number | null } | null> {
    const text = await readFile(`/proc/${pid}/cgroup`, 'utf8').catch(() => null);
    const where = text === null ? null : parseProcCgroup(text);
    const w = where ? this.watched.get(where.sandboxId) : undefined;
    if (!where || !w) return null;
    const step = where.leaf.startsWith('step-') ? Number(where.leaf.slice(5)) : null;
    return { sandboxId: where.sandboxId, step };
  }
}
