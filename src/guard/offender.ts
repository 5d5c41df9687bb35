// Which processes a block-mode alert without a pid is about. Some signals name no process: a
// connection the firewall refused (the kernel logs the step's cgroup, not the process), a write
// seen by inotify, a window of such events. The guard used to kill the whole step for them, and
// when the step is an agent CLI (qwen-code, codex, claude-code run as one exec) that killed the
// agent, not the command it ran. Here the offender is looked for, in order:
//  1. a process named by the alert's own evidence (an event of the same step that carries a pid);
//  2. for refused connections: the process that still holds a socket to the refused destination;
//  3. the step's tool calls: an agent CLI runs each shell command in a process group (session) of
//     its own (checked for all three CLIs: bash/zsh -c as session leader under the CLI), while the
//     step's first process, which praetor started, keeps the step's own group. The groups other
//     than that one which were alive while the evidence happened are what the agent ran; they are
//     killed, and the agent (the step's group) lives on. The assumption: an agent's own traffic
//     goes through the proxy (which names the process that opened each stream), so a refused
//     direct connection while a tool call runs is the tool call's.
// When none of this names a process (a step with no other process group: a plain command, or an
// agent that made the connection itself with no tool call running), find() answers null and the
// guard kills the step, as before: fail closed.
import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import type { Alert } from '../detect/alert.js';
import type { ProcessStartEvent } from '../monitor/events.js';
import { holderOf, readNetSockets } from '../monitor/process/socket-scan.js';
import type { ProcessTable } from './process-table.js';
import { isInterpreter } from './socket-signals.js';

/** A process as /proc/PID/stat shows it from the host. */
export interface ProcStat {
  readonly pid: number;
  readonly ppid: number;
  readonly pgid: number;
  readonly sid: number;
  /** Epoch ms (10 ms resolution: the kernel counts in USER_HZ ticks). */
  readonly startedAt: number;
  readonly zombie: boolean;
}

/** What find() names. */
export interface Offenders {
  /** Live processes to kill with their descendants. */
  readonly pids: readonly number[];
  /** Process groups (tool calls) that were running at the time and are gone already: nothing left to kill. */
  readonly gone: readonly number[];
  /** How they were found, for the action's record. */
  readonly how: 'evidence' | 'socket' | 'tool-call';
}

/** Linux's USER_HZ, the unit of /proc/PID/stat's starttime on every architecture praetor runs on. */
const USER_HZ = 100;
/** How long after an attempt its refusal may be read (the denial reader under load). */
const READ_LAG_MS = 1_000;
const MAX_LEADERS = 512;

/** Parses /proc/PID/stat (the name in parentheses may hold anything, so fields are read after the last ')'). Pure. */
export function parseProcStat(pid: number, text: string, bootMs: number): ProcStat | null {
  const paren = text.lastIndexOf(')');
  if (paren < 0) return null;
  // fields from 3 (state) on: state ppid pgrp session tty_nr tpgid flags minflt cminflt majflt
  // cmajflt utime stime cutime cstime priority nice num_threads itrealvalue starttime
  const f = text.slice(paren + 2).trim().split(/\s+/);
  const [state, ppid, pgid, sid] = [f[0], Number(f[1]), Number(f[2]), Number(f[3])];
  const start = Number(f[19]);
  if (state === undefined || ![ppid, pgid, sid, start].every(Number.isFinite)) return null;
  return { pid, ppid, pgid, sid, startedAt: bootMs + (start * 1000) / USER_HZ, zombie: state === 'Z' || state === 'X' };
}

/** Epoch ms of the host's boot, from /proc/uptime (centisecond resolution, unlike /proc/stat's btime). */
async function bootTime(): Promise<number> {
  const now = Date.now();
  const up = Number((await readFile('/proc/uptime', 'utf8')).split(' ')[0]);
  if (!Number.isFinite(up)) throw new Error('unreadable /proc/uptime');
  return now - up * 1000;
}

async function readStat(pid: number, bootMs: number): Promise<ProcStat | null> {
  const text = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => null);
  return text === null ? null : parseProcStat(pid, text, bootMs);
}

/**
 * readStat, synchronously: for the exec of every shell or interpreter (most steps start one), a read
 * the kernel answers in microseconds, where fs/promises takes four thread-pool turns that the step's
 * answer waits for (guard.settle), and the process may be gone by the last of them.
 */
function readStatNow(pid: number, bootMs: number): ProcStat | null {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return null;
  }
  return parseProcStat(pid, text, bootMs);
}

/**
 * The tool-call process groups of a step: every group but the one of the step's first process (the
 * command praetor started, an agent CLI; the oldest live one when that is gone), that had begun by
 * `until`. Pure.
 */
export function toolCallGroups(procs: readonly ProcStat[], until: number, rootPid?: number): Map<number, number[]> {
  const live = procs.filter((p) => !p.zombie);
  const oldest = live.reduce<ProcStat | null>((a, p) => (a === null || p.startedAt < a.startedAt || (p.startedAt === a.startedAt && p.pid < a.pid) ? p : a), null);
  const root = live.find((p) => p.pid === rootPid) ?? oldest;
  const groups = new Map<number, number[]>();
  if (root === null) return groups;
  const began = new Map<number, number>();
  for (const p of live) {
    if (p.pgid === root.pgid) continue;
    groups.set(p.pgid, [...(groups.get(p.pgid) ?? []), p.pid]);
    began.set(p.pgid, Math.min(began.get(p.pgid) ?? Infinity, p.startedAt));
  }
  // one tick of slack: starttime is rounded down to 10 ms
  for (const [pgid, at] of began) if (at > until + 1000 / USER_HZ) groups.delete(pgid);
  return groups;
}

export interface OffenderFinderDeps {
  /** Host pids of the step's processes now. */
  readonly processes: (step: number) => Promise<number[]>;
  /** A process of the sandbox's network namespace, for its socket tables. */
  readonly nsPid: number;
  readonly table: ProcessTable;
}

interface Leader {
  readonly pid: number;
  readonly step: number;
  readonly startedAt: number;
}

/** One per sandbox: remembers the tool-call shells it saw start, so a tool call already gone is still known. */
export class OffenderFinder {
  /** Shells and interpreters that led a process group of their own other than the step's, by pid. */
  private readonly leaders = new Map<number, Leader>();
  /** Each step's first process (the command praetor started), from the order of exec events. */
  private readonly roots = new Map<number, number>();

  constructor(private readonly deps: OffenderFinderDeps) {}

  /** At each exec of a shell or interpreter in a step: a group leader is remembered (a tool call's shell is one). */
  onExec(e: ProcessStartEvent): Promise<void> {
    this.noteExec(e);
    return Promise.resolve();
  }

  private noteExec(e: ProcessStartEvent): void {
    if (e.step === null) return;
    if (!this.roots.has(e.step)) {
      if (this.roots.size >= MAX_LEADERS) this.roots.delete(this.roots.keys().next().value ?? 0);
      this.roots.set(e.step, e.pid);
    }
    if (!isInterpreter(e.exe, e.argv)) return;
    const stat = readStatNow(e.pid, 0);
    if (stat === null || stat.pgid !== e.pid) return;
    if (this.leaders.size >= MAX_LEADERS) this.leaders.delete(this.leaders.keys().next().value ?? 0);
    this.leaders.set(e.pid, { pid: e.pid, step: e.step, startedAt: e.time });
  }

  /** The processes an alert without a pid is about; null when they can not be named (the step is killed then). */
  async find(alert: Alert): Promise<Offenders | null> {
    const step = alert.step;
    if (step === null || alert.pid !== null) return null;
    const fromEvidence = new Set<number>();
    for (const e of alert.evidence) if ('pid' in e && e.pid !== null && e.step === step) fromEvidence.add(e.pid);
    if (fromEvidence.size > 0) return { pids: [...fromEvidence], gone: [], how: 'evidence' };
    const pids = await this.deps.processes(step);
    const holder = await this.socketHolder(alert, pids);
    if (holder !== null) return { pids: [holder], gone: [], how: 'socket' };
    const times = alert.evidence.map((e) => e.time);
    const from = times.length > 0 ? Math.min(...times) : alert.time;
    const until = times.length > 0 ? Math.max(...times) : alert.time;
    const bootMs = await bootTime();
    const stats = (await Promise.all(pids.map((pid) => readStat(pid, bootMs)))).filter((s): s is ProcStat => s !== null);
    const rootPid = this.roots.get(step);
    const groups = toolCallGroups(stats, until, rootPid);
    const live = stats.filter((s) => !s.zombie);
    const rootGroup = (live.find((s) => s.pid === rootPid) ?? live.sort((a, b) => a.startedAt - b.startedAt || a.pid - b.pid)[0])?.pgid;
    const livePids = new Set(live.map((s) => s.pid));
    // tool calls run one after another: of the ones gone, the last to start before the evidence is the one
    let gone: Leader | null = null;
    for (const l of this.leaders.values()) {
      if (l.step !== step || l.pid === rootPid || l.pid === rootGroup || groups.has(l.pid) || livePids.has(l.pid) || l.startedAt > until) continue;
      // gone now: when did it end? An exit the process monitor has not reported yet is just now.
      const info = this.deps.table.get(l.pid);
      if (info === undefined) continue; // ended long ago (the table keeps exits a few seconds)
      const endedAt = info.exitedAt ?? Date.now();
      if (endedAt >= from - READ_LAG_MS && (gone === null || l.startedAt > gone.startedAt)) gone = l;
    }
    if (groups.size === 0 && gone === null) return null;
    return { pids: [...groups.values()].flat(), gone: gone === null ? [] : [gone.pid], how: 'tool-call' };
  }

  /** For refused connections: the process still holding a socket to a refused destination (a SYN the firewall dropped, a UDP socket). */
  private async socketHolder(alert: Alert, pids: readonly number[]): Promise<number | null> {
    const targets = new Set<string>();
    for (const e of alert.evidence) if (e.kind === 'network-denied' && e.dstPort !== null) targets.add(`${e.dstAddress}:${e.dstPort}`);
    if (targets.size === 0) return null;
    const sockets = await readNetSockets(this.deps.nsPid);
    const inodes = new Set<number>();
    for (const s of sockets.values()) if (targets.has(`${s.remote}:${s.remotePort}`)) inodes.add(s.inode);
    return inodes.size === 0 ? null : holderOf(inodes, pids);
  }
}
