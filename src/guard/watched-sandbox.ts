// The guard's state for one sandbox: its policy, alerts and actions, which step each process
// belongs to, which process opened each proxied stream, and the network record turned into events.
import { watch, type FSWatcher } from 'node:fs';
import type { Alert } from '../detect/alert.js';
import type { GuardEvent, ProxyConnectionEvent, WireProtocol } from '../monitor/events.js';
import { sniffClientBytes, sniffServerBytes } from '../monitor/network/protocol-sniffer.js';
import { socketHolder, socketInode } from '../monitor/network/socket-owner.js';
import type { LocalSandbox } from '../sandbox/local/local-sandbox.js';
import type { NetworkEvent, ProxyDecision } from '../sandbox/network/network-events.js';
import type { EgressContext } from '../sandbox/observer.js';
import type { GuardAction, GuardPolicy } from './guard-policy.js';

interface Connection {
  pid: number | null;
  step: number | null;
  protocol: WireProtocol;
  detail: string | null;
  published: boolean;
}

/** Files under the sandbox's home whose writes mean persistence or planted credentials. */
const SENSITIVE_HOME_PATHS = /^(\.bashrc|\.bash_profile|\.profile|\.zshrc|\.bash_logout|\.ssh\/.*|\.config\/systemd\/.*|\.config\/autostart\/.*)$/;
const MAX_CONNECTIONS = 10_000;

export class WatchedSandbox {
  readonly alerts: Alert[] = [];
  readonly actions: GuardAction[] = [];
  /** Enforcement already carried out (`action target`), so it is not repeated per alert. */
  readonly enforced = new Set<string>();
  readonly unsubscribers: (() => void)[] = [];
  private readonly pids = new Map<number, number | null>();
  private readonly connections = new Map<number, Connection>();
  private readonly blocked = new Set<string>();
  private watcher: FSWatcher | null = null;

  constructor(
    readonly sandbox: LocalSandbox,
    public policy: GuardPolicy,
    private readonly publish: (event: GuardEvent) => void,
  ) {
    this.unsubscribers.push(sandbox.onNetworkEvent((e) => this.onNetwork(e)));
    for (const e of sandbox.networkEvents()) this.onNetwork(e);
    this.watchHome();
  }

  close(): void {
    for (const u of this.unsubscribers.splice(0)) u();
    this.watcher?.close();
    this.watcher = null;
  }

  /** Keeps the pid -> step map from process events. */
  observe(event: GuardEvent): void {
    if (event.kind === 'process-start') this.pids.set(event.pid, event.step);
    else if (event.kind === 'process-exit') this.pids.delete(event.pid);
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

  block(host: string, port: number): void {
    this.blocked.add(`${host}:${port}`);
  }

  isBlocked(host: string, port: number): boolean {
    return this.blocked.has(`${host}:${port}`);
  }

  /** Finds the process behind a proxied stream while it is open, and so its step. */
  async attributeConnection(ctx: EgressContext): Promise<void> {
    const conn: Connection = { pid: null, step: null, protocol: 'unknown', detail: null, published: false };
    if (this.connections.size >= MAX_CONNECTIONS) this.connections.delete(this.connections.keys().next().value ?? 0);
    this.connections.set(ctx.connectionId, conn);
    if (ctx.clientPort === null) return;
    const inode = await socketInode(this.sandbox.hostInfo().initPid, ctx.clientPort);
    if (inode === null) return;
    const procs = await this.sandbox.processes();
    conn.pid = await socketHolder(inode, procs.map((p) => p.pid));
    conn.step = procs.find((p) => p.pid === conn.pid)?.step ?? null;
  }

  /** Sniffs the first bytes of a stream; returns the event to publish once its protocol is known. */
  inspect(ctx: EgressContext & { readonly direction: 'out' | 'in' }, chunk: Buffer): ProxyConnectionEvent | null {
    const conn = this.connections.get(ctx.connectionId);
    if (!conn || conn.published) return null;
    const sniffed = ctx.direction === 'out' ? sniffClientBytes(chunk) : sniffServerBytes(chunk);
    if (sniffed.protocol === 'unknown') return null;
    conn.protocol = sniffed.protocol;
    conn.detail = sniffed.detail;
    conn.published = true;
    return this.connectionEvent(ctx.host, ctx.port, 'allowed', 'allowed', conn, 0, 0, 'CONNECT');
  }

  private connectionEvent(
    host: string,
    port: number,
    decision: 'allowed' | 'denied',
    reason: string,
    conn: Connection,
    bytesOut: number,
    bytesIn: number,
    method: 'CONNECT' | 'HTTP',
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
      protocol: conn.protocol,
      protocolDetail: conn.detail,
      bytesOut,
      bytesIn,
    };
  }

  private onNetwork(e: NetworkEvent): void {
    if (e.kind === 'denied-attempt') {
      this.publish({
        kind: 'network-denied',
        time: e.time,
        sandboxId: e.sandboxId,
        step: e.step,
        protocol: e.protocol,
        dstAddress: e.dstAddress,
        dstPort: e.dstPort,
      });
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
    const conn = this.connections.get(d.connectionId) ?? { pid: null, step: null, protocol: 'unknown', detail: null, published: false };
    this.connections.delete(d.connectionId);
    if (conn.published) return;
    if (d.method === 'HTTP' && conn.protocol === 'unknown') {
      conn.protocol = 'http';
      conn.detail = d.host;
    }
    this.publish(this.connectionEvent(d.host, d.port, d.decision, d.reason, conn, d.bytesOut, d.bytesIn, d.method));
  }

  /** inotify on the sandbox's home (host side): cheap, and sees writes from any process. */
  private watchHome(): void {
    const home = `${this.sandbox.hostInfo().dataDir}/tmp/home`;
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
          path: `/tmp/home/${name}`,
        });
      });
      this.watcher.on('error', () => this.watcher?.close());
      this.watcher.unref();
    } catch {
      // no home directory (a backend without one): file-write events are simply not produced
    }
  }
}
