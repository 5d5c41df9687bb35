// The processes of one sandbox as the process monitor reported them (exe, argv, parent, step, when
// they started and ended), kept a few seconds past their exit: a connection the firewall refused is
// reported a moment after the process that made it may already have gone.
import type { ProcessExitEvent, ProcessStartEvent } from '../monitor/events.js';

export interface ProcessInfo {
  readonly pid: number;
  readonly ppid: number | null;
  readonly step: number | null;
  readonly exe: string | null;
  readonly argv: readonly string[] | null;
  readonly startedAt: number;
  exitedAt: number | null;
}

/** How long an exited process stays findable. */
const KEEP_EXITED_MS = 5_000;
const MAX_EXITED = 256;
const MAX_LIVE = 20_000;

export class ProcessTable {
  private readonly live = new Map<number, ProcessInfo>();
  private readonly exited: ProcessInfo[] = [];

  start(e: ProcessStartEvent): void {
    if (this.live.size >= MAX_LIVE) this.live.delete(this.live.keys().next().value ?? 0);
    this.live.set(e.pid, { pid: e.pid, ppid: e.ppid, step: e.step, exe: e.exe, argv: e.argv, startedAt: e.time, exitedAt: null });
  }

  exit(e: ProcessExitEvent): void {
    const info = this.live.get(e.pid);
    if (info === undefined) return;
    this.live.delete(e.pid);
    info.exitedAt = e.time;
    this.exited.push(info);
    while (this.exited.length > MAX_EXITED || (this.exited[0] !== undefined && (this.exited[0].exitedAt ?? 0) < e.time - KEEP_EXITED_MS)) this.exited.shift();
  }

  get(pid: number): ProcessInfo | undefined {
    const live = this.live.get(pid);
    if (live !== undefined) return live;
    for (let i = this.exited.length - 1; i >= 0; i--) if (this.exited[i]?.pid === pid) return this.exited[i];
    return undefined;
  }

  /**
   * The newest process of a step that was alive at `time` (or exited at most `slackMs` before):
   * the leaf that most likely made a connection attempt attributed to the step.
   */
  newestAt(step: number, time: number, slackMs = 150): ProcessInfo | null {
    let best: ProcessInfo | null = null;
    // Both monitors stamp what they read when they read it: the process started before the attempt
    // it made, and the attempt before its denial was read; it may have exited a moment before that.
    const consider = (p: ProcessInfo): void => {
      if (p.step !== step || p.startedAt > time) return;
      if (p.exitedAt !== null && p.exitedAt < time - slackMs) return;
      if (best === null || p.startedAt > best.startedAt || (p.startedAt === best.startedAt && p.pid > best.pid)) best = p;
    };
    for (const p of this.live.values()) consider(p);
    for (const p of this.exited) consider(p);
    return best;
  }

  /** Entries held (live and recently exited). */
  get size(): number {
    return this.live.size + this.exited.length;
  }

  clear(): void {
    this.live.clear();
    this.exited.length = 0;
  }

  /** Live processes of a step, newest first. */
  liveOfStep(step: number): ProcessInfo[] {
    return [...this.live.values()].filter((p) => p.step === step).sort((a, b) => b.startedAt - a.startedAt);
  }
}
