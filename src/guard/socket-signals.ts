// Socket-aware process signals: what a shell or interpreter's standard streams are when it starts,
// and which process stood behind a refused connection. A shell whose stdin is a network socket is a
// reverse or bind shell whatever language wired it; this is read from the kernel's tables, so the
// command line's spelling does not matter. Checked only on execs of shells and interpreters and on
// denials, never by polling.
import { posix } from 'node:path';
import type { FdKind, NetworkDeniedEvent, ProcessSocketsEvent, ProcessStartEvent } from '../monitor/events.js';
import { holderOf, readNetSockets, scanProcessSockets, type ProcessSockets } from '../monitor/process/socket-scan.js';
import type { ProcessInfo, ProcessTable } from './process-table.js';

/** Programs that run commands or code: a network socket on their stdin means someone remote types. */
const INTERPRETER = /^(sh|bash|rbash|dash|zsh|ksh\d*|mksh|pdksh|ash|yash|fish|tcsh|csh|busybox|toybox|python[\d.]*m?|pypy[\d.]*|perl[\d.]*|ruby[\d.]*|irb|php[\d.]*(-cli)?|lua[\d.]*|luajit|node|nodejs|deno|bun|[gmn]?awk|busybox-awk|tclsh[\d.]*|wish[\d.]*|expect|pwsh|guile[\d.]*|rlwrap|script)$/;
/** Programs with no network of their own: a socket in their hands was made by /dev/tcp, ztcp, /inet. */
const NO_NETWORK_OF_THEIR_OWN = /^(sh|bash|rbash|dash|zsh|ksh\d*|mksh|ash|yash|fish|tcsh|csh|[gmn]?awk)$/;
/** Options that give a shell or interpreter its program on the command line: it does not read commands from stdin. */
const INLINE_PROGRAM = /^-[A-Za-z]*[ceEr]$|^--(command|eval|exec)(=|$)/;

export function isInterpreter(exe: string | null, argv: readonly string[] | null): boolean {
  const names = [exe === null ? '' : posix.basename(exe), posix.basename(argv?.[0] ?? '')];
  return names.some((n) => n !== '' && INTERPRETER.test(n));
}

function baseName(path: string | null): string {
  return path === null ? '' : posix.basename(path);
}

/** A shell or interpreter that reads its commands from stdin: no -c/-e program, no script operand (or -i). */
export function readsCommandsFromStdin(argv: readonly string[] | null): boolean {
  if (argv === null) return false;
  const args = argv.slice(1);
  if (args.some((a) => /^-[A-Za-z]*i[A-Za-z]*$/.test(a) && !a.startsWith('--'))) return true;
  if (args.some((a) => INLINE_PROGRAM.test(a))) return false;
  // the first argument that is no option names a script (or, for busybox, the applet: look past it)
  const rest = baseName(argv[0] ?? null) === 'busybox' ? args.slice(1) : args;
  return !rest.some((a) => a !== '-' && !a.startsWith('-'));
}

const NETWORK: ReadonlySet<FdKind> = new Set(['tcp', 'udp']);
/** How far up a refused connection's process tree its step's command lines are read, and how much of each. */
const MAX_ANCESTORS = 4;
const MAX_ANCESTOR_CHARS = 16_384;

export interface SocketSignalsDeps {
  readonly sandboxId: string;
  /** A process of the sandbox's network namespace (its init), for the namespace's socket tables. */
  readonly nsPid: number;
  readonly table: ProcessTable;
  /** Host pids of the sandbox's processes now (for finding which one holds a socket). */
  readonly pids: (step: number | null) => Promise<number[]>;
  readonly publish: (event: ProcessSocketsEvent) => void;
}

/** Listening sockets remembered per sandbox (each is reported once). */
const MAX_LISTENERS = 1024;

export class SocketSignals {
  private readonly listeners = new Set<number>();

  constructor(private readonly deps: SocketSignalsDeps) {}

  /**
   * When a step ends: TCP sockets newly listening in the sandbox's network namespace, each with the
   * process that holds it and that process's step (a server, or a bind shell waiting for its peer).
   * One read of the namespace's tables per step; the holder is looked up only for a new listener.
   */
  async onStepEnd(time: number): Promise<void> {
    const fresh = [...(await readNetSockets(this.deps.nsPid)).values()].filter((s) => s.proto === 'tcp' && s.state === 'LISTEN' && !this.listeners.has(s.inode));
    if (fresh.length === 0) return;
    const pids = await this.deps.pids(null);
    for (const socket of fresh) {
      if (this.listeners.size >= MAX_LISTENERS) this.listeners.delete(this.listeners.values().next().value ?? 0);
      this.listeners.add(socket.inode);
      const pid = await holderOf(new Set([socket.inode]), pids);
      const info = pid === null ? undefined : this.deps.table.get(pid);
      if (info === undefined) continue;
      const parent = info.ppid === null ? undefined : this.deps.table.get(info.ppid);
      const own = await scanProcessSockets(info.pid, false);
      this.deps.publish({
        ...this.base(time, info.step, info.pid, info.ppid, info.exe, info.argv),
        via: 'listen',
        stdio: own?.stdio ?? ['none', 'none', 'none'],
        netSockets: own?.netSockets.length ?? 0,
        listenPorts: [socket.localPort],
        remote: null,
        parentExe: parent?.exe ?? null,
        parentNetSockets: 0,
        ancestorsText: null,
      });
    }
  }

  /** At the exec of a shell or interpreter: its stdio, and a relay behind it when it reads commands from stdin. */
  async onExec(e: ProcessStartEvent): Promise<void> {
    if (!isInterpreter(e.exe, e.argv)) return;
    // stdio as the process monitor read it at the exec itself (a shell whose peer hung up is gone
    // a moment later); read now where the monitor did not say (an older helper)
    const atExec = e.stdio;
    const scanned = atExec === undefined || atExec.some((k) => NETWORK.has(k)) ? await scanProcessSockets(e.pid, false) : null;
    if (atExec === undefined && scanned === null) return;
    const mine: ProcessSockets = { stdio: [...(atExec ?? scanned?.stdio ?? [])], netSockets: scanned?.netSockets ?? [] };
    let parent: { info: ProcessInfo | undefined; sockets: ProcessSockets | null } = { info: undefined, sockets: null };
    const direct = mine.stdio.some((k) => NETWORK.has(k));
    if (!direct && e.ppid !== null) {
      const info = this.deps.table.get(e.ppid);
      // a relay: socat, or a script that pipes a socket to a shell it started; or a shell or awk
      // that holds a socket itself (gawk |& /inet, zsh ztcp) and runs what comes from it
      const relayShape = readsCommandsFromStdin(e.argv) || NO_NETWORK_OF_THEIR_OWN.test(baseName(info?.exe ?? null));
      if (relayShape && info !== undefined) parent = { info, sockets: await scanProcessSockets(e.ppid, true) };
    }
    const parentNet = parent.sockets?.netSockets.filter((s) => s.state !== 'LISTEN').length ?? 0;
    if (!direct && parentNet === 0) return;
    const first = mine.netSockets[0] ?? parent.sockets?.netSockets[0];
    this.deps.publish({
      ...this.base(e.time, e.step, e.pid, e.ppid, e.exe, e.argv),
      via: 'exec',
      stdio: mine.stdio,
      netSockets: mine.netSockets.length,
      listenPorts: [],
      remote: first === undefined ? null : `${first.remote}:${first.remotePort}`,
      parentExe: parent.info?.exe ?? null,
      parentNetSockets: parentNet,
      ancestorsText: null,
    });
  }

  /**
   * A connection the firewall refused: the process that made it. Its socket is looked up by the
   * destination while it lingers (a dropped SYN leaves it in SYN_SENT); a refused one is gone at
   * once, and then the step's newest process alive at that moment stands for it.
   */
  async onDenied(e: NetworkDeniedEvent): Promise<void> {
    if (e.protocol !== 'tcp' && e.protocol !== 'udp') return;
    let pid: number | null = null;
    const sockets = await readNetSockets(this.deps.nsPid);
    const inodes = new Set<number>();
    for (const s of sockets.values()) if (s.remote === e.dstAddress && s.remotePort === e.dstPort) inodes.add(s.inode);
    if (inodes.size > 0) pid = await holderOf(inodes, await this.deps.pids(e.step));
    const info = pid !== null ? this.deps.table.get(pid) : e.step === null ? null : this.deps.table.newestAt(e.step, e.time);
    if (info === null || info === undefined) return;
    await this.publishHolder(info, 'denied', `${e.dstAddress}:${e.dstPort ?? 0}`, e.time);
  }

  /** A request the proxy refused, from the process the proxy found behind it. */
  async onProxyDenied(pid: number, target: string, time: number): Promise<void> {
    const info = this.deps.table.get(pid);
    if (info === undefined) return;
    await this.publishHolder(info, 'proxy-denied', target, time);
  }

  private async publishHolder(info: ProcessInfo, via: 'denied' | 'proxy-denied', remote: string, time: number): Promise<void> {
    const own = info.exitedAt === null ? await scanProcessSockets(info.pid, true) : null;
    const parent = info.ppid === null ? undefined : this.deps.table.get(info.ppid);
    this.deps.publish({
      ...this.base(time, info.step, info.pid, info.ppid, info.exe, info.argv),
      via,
      stdio: own?.stdio ?? ['none', 'none', 'none'],
      netSockets: own?.netSockets.length ?? 0,
      listenPorts: own?.netSockets.filter((s) => s.state === 'LISTEN').map((s) => s.localPort) ?? [],
      remote,
      parentExe: parent?.exe ?? null,
      parentNetSockets: 0,
      ancestorsText: this.ancestorsText(info),
    });
  }

  /** Command lines of the process's ancestors in its own step, nearest first (at most MAX_ANCESTORS). */
  private ancestorsText(info: ProcessInfo): string | null {
    const lines: string[] = [];
    let at = info.ppid === null ? undefined : this.deps.table.get(info.ppid);
    for (let i = 0; i < MAX_ANCESTORS && at !== undefined && at.step === info.step && info.step !== null; i++) {
      if (at.argv !== null) lines.push(at.argv.join(' ').slice(0, MAX_ANCESTOR_CHARS));
      at = at.ppid === null ? undefined : this.deps.table.get(at.ppid);
    }
    return lines.length === 0 ? null : lines.join('\n');
  }

  private base(time: number, step: number | null, pid: number, ppid: number | null, exe: string | null, argv: readonly string[] | null) {
    return { kind: 'process-sockets' as const, time, sandboxId: this.deps.sandboxId, step, pid, ppid, exe, argv };
  }
}
