// The guard's state for one sandbox: its policy, alerts and actions, which step each process
// belongs to, which process opened each proxied stream, and the network record turned into events.
import { watch, type FSWatcher } from 'node:fs';
import type { Alert } from '../detect/alert.js';
import type { GuardEvent, ProxyConnectionEvent, WireProtocol } from '../monitor/events.js';
import { frontedHost } from '../monitor/network/inner-host.js';
import { StreamSniffer } from '../monitor/network/stream-sniffer.js';
import { socketHolder, socketInode } from '../monitor/network/socket-owner.js';
import type { Sandbox, SandboxHostView } from '../sandbox/backend.js';
import type { NetworkEvent, ProxyDecision, ProxyMethod } from '../sandbox/network/network-events.js';
import type { EgressContext, StreamContext } from '../sandbox/observer.js';
import type { GuardAction, GuardPolicy } from './guard-policy.js';
import type { MonitorFailure } from '../sandbox/monitor-source.js';
import type { PolicyGate } from '../policy/policy-gate.js';
import type { PolicyDecisionRecord } from '../policy/policy-record.js';
import type { GpuGrant } from '../sandbox/gpu/gpu-allocator.js';
import type { RawGpuSample } from '../monitor/resource/gpu-sampler.js';
import type { GpuSample } from '../monitor/events.js';
import { GpuAccounting } from '../monitor/resource/gpu-accounting.js';
import { MiningSignals } from './mining-signals.js';
import { ProcessTable } from './process-table.js';
import { SocketSignals } from './socket-signals.js';
import { StepUsage } from './step-usage.js';
import type { CgroupLayout } from '../sandbox/cgroup/cgroup-layout.js';
import { OffenderFinder } from './offender.js';

interface Connection {
  pid: number | null;
  step: number | null;
  protocol: WireProtocol;
  detail: string | null;
  published: boolean;
  /** Each direction's sniffer while it still reads; null once it has named the protocol or given up. */
  sniffers: { out: StreamSniffer | null; in: StreamSniffer | null };
  /** The client's side was read to the end of its first message (a fronted host shows there). */
  clientRead: boolean;
}

function newConnection(): Connection {
  return { pid: null, step: null, protocol: 'unknown', detail: null, published: false, sniffers: { out: null, in: null }, clientRead: false };
}

/** Files under the sandbox's home whose writes mean persistence or planted credentials. */
const SENSITIVE_HOME_PATHS = /^(\.bashrc|\.bash_profile|\.profile|\.zshrc|\.bash_logout|\.ssh\/.*|\.config\/systemd\/.*|\.config\/autostart\/.*)$/;
const MAX_CONNECTIONS = 10_000;

export class WatchedSandbox {
  readonly alerts: Alert[] = [];
  readonly actions: GuardAction[] = [];
  /** Every command-policy decision about this sandbox, in order. */
  readonly decisions: PolicyDecisionRecord[] = [];
  /** Enforcement already carried out (`action target`), so it is not repeated per alert. */
  readonly enforced = new Set<string>();
  readonly unsubscribers: (() => void)[] = [];
  /** Enforcement under way (recovery from blindness waits for it). */
  readonly jobs = new Set<Promise<unknown>>();
  /** Set while the guard holds the sandbox for a monitor outage (see blindness.ts). */
  blindHold: { readonly failure: MonitorFailure; readonly alertId: string } | null = null;
  /** The alert whose enforcement froze the sandbox for good; no new step runs then. */
  frozenBy: string | null = null;
  private closed = false;
  private readonly pids = new Map<number, number | null>();
  private readonly connections = new Map<number, Connection>();
  private readonly blocked = new Set<string>();
  private watcher: FSWatcher | null = null;
  /** GPU-seconds and peak memory per step. */
  readonly gpuAccounting = new GpuAccounting();
  /** The GPUs the sandbox holds (null: none), read once: a grant does not change. */
  readonly gpuGrant: GpuGrant | null;
  private readonly mining = new MiningSignals();
  /** Processes as the process monitor saw them, kept a moment past their exit. */
  readonly processTable = new ProcessTable();
  readonly socketSignals: SocketSignals;
  /** CPU use of each step over its whole life (a step-usage event at its end). */
  readonly stepUsage: StepUsage;
  /** Names the processes of an alert that names none (a tool call of an agent CLI), for enforcement. */
  readonly offenders: OffenderFinder;

  constructor(
    readonly sandbox: Sandbox,
    private readonly host: SandboxHostView,
    public policy: GuardPolicy,
    private readonly publish: (event: GuardEvent) => void,
    /** The command policy checked before each exec, file operation and egress; null: none. */
    public commandPolicy: PolicyGate | null = null,
    layout: CgroupLayout | null = null,
  ) {
    this.stepUsage = new StepUsage({ sandboxId: sandbox.id, layout });
    this.gpuGrant = sandbox.info().gpuGrant ?? null;
    this.socketSignals = new SocketSignals({
      sandboxId: sandbox.id,
      nsPid: host.initPid,
      table: this.processTable,
      pids: async (step) => (await sandbox.processes()).filter((p) => step === null || p.step === step).map((p) => p.pid),
      publish: (e) => {
        if (!this.closed) this.publish(e);
      },
    });
    this.offenders = new OffenderFinder({
      nsPid: host.initPid,
      table: this.processTable,
      processes: async (step) => (await sandbox.processes()).filter((p) => p.step === step).map((p) => p.pid),
    });
    this.unsubscribers.push(sandbox.onNetworkEvent((e) => this.onNetwork(e)));
    for (const e of sandbox.networkEvents()) this.onNetwork(e);
    this.watchHome();
  }

  /** Stops watching: what only watching needed goes now; alerts, actions and decisions stay readable. */
  close(): void {
    this.closed = true;
    for (const u of this.unsubscribers.splice(0)) u();
    this.watcher?.close();
    this.watcher = null;
    this.pids.clear();
    this.processTable.clear();
    this.connections.clear();
    this.blocked.clear();
  }

  /** What it holds per process and stream now (a destroyed sandbox: nothing). */
  get footprint(): { processes: number; connections: number; jobs: number } {
    return { processes: Math.max(this.pids.size, this.processTable.size), connections: this.connections.size, jobs: this.jobs.size };
  }

  /** Keeps the pid -> step map from process events (not once closed: a late report builds nothing up). */
  observe(event: GuardEvent): void {
    if (this.closed) return;
    if (event.kind === 'process-start') {
      this.pids.set(event.pid, event.step);
      this.processTable.start(event);
      this.stepUsage.exec(event.step);
    } else if (event.kind === 'process-exit') {
      this.pids.delete(event.pid);
      this.processTable.exit(event);
    } else if (event.kind === 'resource-sample' && event.scope === 'step' && event.stepRunning === true && !this.closed) {
      this.background(this.stepUsage.sampled(event.step, event.cpuCores));
    }
  }

  /**
   * The exec of the sandbox's launcher (bubblewrap, started by praetor in the init's cgroup, with no
   * step): praetor's own, never the agent's. Its event is normally read before the guard watches the
   * sandbox, and so never reaches the rules; read late (the process monitor behind under load), its
   * command line (praetor's helper mount, /.praetor/) read as guard-tamper, and in block mode the kill
   * of it took the whole sandbox down. It is dropped however late it comes.
   */
  isOwnLaunch(event: GuardEvent): boolean {
    return event.kind === 'process-start' && event.step === null && this.host.launcherPid !== undefined && event.pid === this.host.launcherPid;
  }

  get isClosed(): boolean {
    return this.closed;
  }

  /** Whether the process monitor reported this process's exec (and not yet its exit). */
  knows(pid: number): boolean {
    return this.pids.has(pid);
  }

  stepRunning(step: number): boolean {
    return this.sandbox.runningSteps().has(step);
  }

  /** Steps still running or with a live process: those worth sampling. */
  liveSteps(): number[] {
    const steps = new Set<number>(this.sandbox.runningSteps());
    for (const step of this.pids.values()) if (step !== null) steps.add(step);
    return [...steps];
  }

  /** Keeps the mining alerts (argv, binary, Stratum...) that a GPU sample of the same process or step joins. */
  noteMiningSignal(alert: Alert): void {
    this.mining.note(alert);
  }

  completeGpuSample(raw: RawGpuSample): GpuSample {
    const units = this.gpuGrant?.units ?? [];
    const granted = units.some((u) => u.gpuIndex === raw.gpuIndex && (raw.gpuUuid === null || u.gpuUuid === raw.gpuUuid));
    return {
      ...raw,
      granted,
      stepRunning: raw.step === null ? null : this.stepRunning(raw.step),
      minerEvidence: this.mining.evidenceFor(raw.pid, raw.step),
    };
  }

  block(host: string, port: number): void {
    this.blocked.add(`${host}:${port}`);
  }

  isBlocked(host: string, port: number): boolean {
    return this.blocked.has(`${host}:${port}`);
  }

  /** Finds the process behind a proxied stream while it is open, and so its step. */
  /** Returns the step of the process behind the stream, when found. */
  async attributeConnection(ctx: EgressContext): Promise<number | null> {
    const conn = newConnection();
    if (this.closed) return null;
    if (this.connections.size >= MAX_CONNECTIONS) this.connections.delete(this.connections.keys().next().value ?? 0);
    this.connections.set(ctx.connectionId, conn);
    if (ctx.clientPort === null) return null;
    const inode = await socketInode(this.host.initPid, ctx.clientPort);
    if (inode === null) return null;
    const procs = await this.sandbox.processes();
    conn.pid = await socketHolder(inode, procs.map((p) => p.pid));
    conn.step = procs.find((p) => p.pid === conn.pid)?.step ?? null;
    return conn.step;
  }

  /**
   * Sniffs the first bytes of a stream, across chunks until a message is whole. `event`: what to
   * publish once the protocol is known (once per stream; again only for a fronted host the client
   * names after the server spoke first); `more`: whether to show the next chunk of this direction.
   */
  inspect(ctx: StreamContext, chunk: Buffer): { event: ProxyConnectionEvent | null; more: boolean } {
    const conn = this.connections.get(ctx.connectionId);
    const wanted = conn !== undefined && (!conn.published || (ctx.direction === 'out' && !conn.clientRead && ctx.method === 'CONNECT'));
    if (!wanted) return { event: null, more: false };
    const sniffer = (conn.sniffers[ctx.direction] ??= new StreamSniffer(ctx.direction));
    const step = sniffer.push(chunk);
    if (!step.done) return { event: null, more: true };
    conn.sniffers[ctx.direction] = null;
    if (ctx.direction === 'out') conn.clientRead = true;
    const { sniffed } = step;
    // Only a tunnel carries the client's own Host: on an HTTP forward the proxy writes it.
    const fronted = ctx.direction === 'out' && ctx.method === 'CONNECT' ? frontedHost(ctx.host, sniffed) : null;
    if (sniffed.protocol === 'unknown' || (conn.published && fronted === null)) return { event: null, more: false };
    conn.protocol = sniffed.protocol;
    conn.detail = sniffed.detail;
    conn.published = true;
    const event = this.connectionEvent(ctx.host, ctx.port, 'allowed', 'allowed', conn, 0, 0, ctx.method, ctx);
    return { event: { ...event, frontedHost: fronted }, more: false };
  }

  private connectionEvent(
    host: string,
    port: number,
    decision: 'allowed' | 'denied',
    reason: string,
    conn: Connection,
    bytesOut: number,
    bytesIn: number,
    method: ProxyMethod,
    where: { readonly resolvedAddress: string | null; readonly addressClass: string | null },
  ): ProxyConnectionEvent {
    return {
      kind: 'proxy-connection',
      time: Date.now(),
      sandboxId: this.sandbox.id,
      step: conn.step,
      pid: conn.pid,
      method,
      host,
      port,
      decision,
      reason,
      resolvedAddress: where.resolvedAddress,
      addressClass: where.addressClass,
      frontedHost: null,
      protocol: conn.protocol,
      protocolDetail: conn.detail,
      bytesOut,
      bytesIn,
    };
  }

  private onNetwork(e: NetworkEvent): void {
    if (e.kind === 'denied-attempt') {
      const denied = {
        kind: 'network-denied' as const,
        time: e.time,
        sandboxId: e.sandboxId,
        step: e.step,
        protocol: e.protocol,
        dstAddress: e.dstAddress,
        dstPort: e.dstPort,
      };
      this.publish(denied);
      if (!this.closed) this.background(this.socketSignals.onDenied(denied));
      return;
    }
    if (e.kind === 'denials-dropped') {
      // Which step sent the lost denials is lost with them.
      this.publish({ kind: 'network-dropped', time: e.time, sandboxId: e.sandboxId, step: null, dropped: e.dropped });
      return;
    }
    this.onProxyDecision(e);
  }

  private onProxyDecision(d: ProxyDecision): void {
    const conn = this.connections.get(d.connectionId) ?? newConnection();
    this.connections.delete(d.connectionId);
    if (d.decision === 'denied' && conn.pid !== null && !this.closed) {
      this.background(this.socketSignals.onProxyDenied(conn.pid, `${d.host}:${d.port}`, d.time));
    }
    if (conn.published) return;
    if (d.method === 'HTTP' && conn.protocol === 'unknown') {
      conn.protocol = 'http';
      conn.detail = d.host;
    }
    this.publish(this.connectionEvent(d.host, d.port, d.decision, d.reason, conn, d.bytesOut, d.bytesIn, d.method, d));
  }

  /** A signal read in the background: /proc reads that fail mean the process is gone, nothing to report. */
  background(job: Promise<void>): void {
    const safe = job.catch(() => undefined);
    this.jobs.add(safe);
    void safe.finally(() => this.jobs.delete(safe));
  }

  /** inotify on the sandbox's home (host side): cheap, and sees writes from any process. */
  private watchHome(): void {
    const home = this.host.homeDir;
    try {
      this.watcher = watch(home, { recursive: true }, (_type, name) => {
        if (typeof name !== 'string' || !SENSITIVE_HOME_PATHS.test(name)) return;
        const running = [...this.sandbox.runningSteps()];
        this.publish({
          kind: 'file-write',
          time: Date.now(),
          sandboxId: this.sandbox.id,
          // inotify does not name the writer: the step is known only when one is running
          step: running.length === 1 ? (running[0] ?? null) : null,
          path: `${this.host.homeInSandbox}/${name}`,
        });
      });
      this.watcher.on('error', () => this.watcher?.close());
      this.watcher.unref();
    } catch {
      // no home directory (a backend without one): file-write events are simply not produced
    }
  }
}
