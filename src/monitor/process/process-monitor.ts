// Every exec inside every sandbox on this host, as typed guard events: praetor-procmon reads
// the kernel's process events connector and /proc; this side attributes its lines to a
// sandbox and step (from the cgroup at exec time) and keeps exits tied to their start.
import type { ChildProcessByStdio } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createInterface } from 'node:readline';
import type { Readable, Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { PraetorError } from '../../core/errors.js';
import { FailureListeners, type MonitorFailureListener, type MonitorSource } from '../../sandbox/monitor-source.js';
import type { ProcessExitEvent, ProcessStartEvent } from '../events.js';
import { parseLeaf, parseProcmonLine, type ProcmonExec, type ProcmonExit, type ProcmonLine } from './procmon-line.js';
import { spawnHelper } from '../../sandbox/helper-process.js';
import { fdKindOfLink } from './socket-scan.js';

export interface ProcessMonitorOptions {
  /** The helper; defaults to $PRAETOR_PROCMON or native/build/praetor-procmon. */
  readonly binaryPath?: string;
  readonly emit: (event: ProcessStartEvent | ProcessExitEvent) => void;
  /** The kernel dropped events: some execs or exits were not seen. */
  readonly onOverrun?: () => void;
  readonly onError?: (message: string) => void;
  /**
   * Host paths of praetor's own exec helper. Its exec is reported from outside the sandbox, but
   * the helper joins the step's cgroup before it execs the command, so a cgroup read a moment
   * late files praetor's own helper under the step. The command it runs next is reported as usual.
   */
  readonly ownHelpers?: readonly string[];
}

/**
 * The helper's arguments: `--netns PATH` from $PRAETOR_PROCMON_NETNS, the host's first network
 * namespace (e.g. /proc/PID/ns/net of a process there) for a praetor that runs in a namespace of
 * its own: the connector answers only there (native/praetor-procmon.c).
 */
export function procmonArgs(env: NodeJS.ProcessEnv = process.env): string[] {
  const netns = env.PRAETOR_PROCMON_NETNS;
  return netns === undefined || netns === '' ? [] : ['--netns', netns];
}

export function defaultProcmonPath(env: NodeJS.ProcessEnv = process.env): string {
  return env.PRAETOR_PROCMON ?? fileURLToPath(new URL('../../../native/build/praetor-procmon', import.meta.url));
}

/** praetor-procmon's exit status outside the host's first network namespace (EX_UNAVAILABLE). */
const NOT_FIRST_NETNS = 69;
const NOT_FIRST_NETNS_MESSAGE =
  "the guard can not watch processes from this network namespace: the kernel's process events connector " +
  "answers only in the host's first one (run praetor on the host, or set PRAETOR_PROCMON_NETNS to that namespace, e.g. /proc/PID/ns/net of a process there)";
const START_TIMEOUT_MS = 10_000;
const FLUSH_TIMEOUT_MS = 5_000;
/** Processes remembered for their exit; the oldest is forgotten past this (its exit is then not reported). */
const MAX_TRACKED = 65_536;

interface Owner {
  readonly sandboxId: string;
  readonly step: number | null;
}

type Helper = ChildProcessByStdio<Writable, Readable, Readable>;

interface PendingFlush {
  readonly n: number;
  readonly resolve: () => void;
  readonly reject: (err: Error) => void;
}

export class ProcessMonitor implements MonitorSource {
  readonly name = 'process-monitor';
  private child: Helper | null = null;
  private readonly failures = new FailureListeners();
  private starting: Promise<void> | null = null;
  private readonly owners = new Map<number, Owner>();
  private overrunCount = 0;
  private flushSeq = 0;
  private readonly flushes = new Set<PendingFlush>();

  constructor(private readonly opts: ProcessMonitorOptions) {}

  /** Host pid of the helper, for accounting its CPU; null when not running. */
  get pid(): number | null {
    return this.child?.pid ?? null;
  }

  /** Resolves once the helper is subscribed: every exec from then on is seen. */
  start(): Promise<void> {
    this.starting ??= this.launch().catch((err: unknown) => {
      this.starting = null;
      throw err;
    });
    return this.starting;
  }

  /** Its helper died after it was subscribed: execs are unseen until start() succeeds again. */
  onFailure(listener: MonitorFailureListener): () => void {
    return this.failures.add(listener);
  }

  stop(): void {
    const child = this.child;
    this.child = null;
    this.starting = null;
    if (child === null) return;
    child.kill('SIGTERM');
    this.failFlushes('the process monitor was stopped');
  }

  /** How many times the kernel reported dropped events since start. */
  get overruns(): number {
    return this.overrunCount;
  }

  /**
   * Resolves once every event the kernel had reported before the call has been emitted: every
   * exec that completed before it. An exit is reported just after the parent is woken, so the
   * exit of a process whose wait() has just returned may still be a few microseconds behind.
   */
  flush(): Promise<void> {
    const child = this.child;
    if (child === null) return Promise.reject(new PraetorError('internal', 'the process monitor is not running'));
    const n = ++this.flushSeq;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => done(new PraetorError('internal', `procmon did not answer within ${FLUSH_TIMEOUT_MS} ms`)), FLUSH_TIMEOUT_MS);
      const done = (err?: Error): void => {
        clearTimeout(timer);
        this.flushes.delete(pending);
        if (err) reject(err);
        else resolve();
      };
      const pending: PendingFlush = { n, resolve: () => done(), reject: done };
      this.flushes.add(pending);
      child.stdin.write(`sync ${n}\n`);
    });
  }

  private launch(): Promise<void> {
    const path = this.opts.binaryPath ?? defaultProcmonPath();
    if (!existsSync(path)) {
      return Promise.reject(
        new PraetorError('host-unsupported', `process monitor helper not found at ${path}: run \`npm run build\` (it needs a C compiler)`),
      );
    }
    const child = spawnHelper(path, procmonArgs());
    this.child = child;
    return new Promise((resolve, reject) => {
      let ready = false;
      let stderr = '';
      const timer = setTimeout(() => fail(`not subscribed within ${START_TIMEOUT_MS} ms`), START_TIMEOUT_MS);
      const fail = (why: string): void => {
        clearTimeout(timer);
        if (this.child === child) this.child = null;
        child.kill('SIGKILL');
        reject(new PraetorError('host-unsupported', `process monitor failed to start: ${why}${stderr ? `: ${stderr.trim()}` : ''}`));
      };
      createInterface({ input: child.stderr, crlfDelay: Infinity }).on('line', (text) => {
        if (ready) this.report(`procmon: ${text}`);
        else stderr += `${text}\n`;
      });
      createInterface({ input: child.stdout, crlfDelay: Infinity }).on('line', (text) => {
        const parsed = parseProcmonLine(text);
        if (!parsed.ok) return this.report(`procmon: bad line (${parsed.error}): ${text.slice(0, 200)}`);
        if (parsed.line.e === 'ready' && !ready) {
          ready = true;
          clearTimeout(timer);
          if (parsed.line.sched !== 'fifo') {
            this.report(`procmon: no real-time priority (${parsed.line.sched}): processes that exit within a millisecond may be missed or lack argv`);
          }
          resolve();
        }
        this.handle(parsed.line);
      });
      child.on('error', (err) => (ready ? this.report(`procmon: ${err.message}`) : fail(err.message)));
      // 'close', not 'exit': its last words on stderr are read by then
      child.on('close', (code, signal) => {
        if (!ready && code === NOT_FIRST_NETNS) {
          clearTimeout(timer);
          if (this.child === child) this.child = null;
          return reject(new PraetorError('host-unsupported', NOT_FIRST_NETNS_MESSAGE));
        }
        if (!ready) return fail(`exited (${code ?? signal})`);
        if (this.child !== child) return; // stopped on purpose
        this.child = null;
        this.starting = null;
        this.failFlushes('procmon exited');
        const reason = `praetor-procmon exited (${code ?? signal})`;
        this.report(`${reason}: process monitoring has stopped`);
        this.failures.emit({ monitor: this.name, reason, time: Date.now(), sandboxIds: null });
      });
    });
  }

  private handle(line: ProcmonLine): void {
    switch (line.e) {
      case 'exec':
        return this.onExec(line);
      case 'exit':
        return this.onExit(line);
      case 'overrun':
        this.overrunCount++;
        this.opts.onOverrun?.();
        return;
      case 'sync':
        for (const f of this.flushes) if (f.n <= line.n) f.resolve();
        return;
      case 'ready':
        return;
    }
  }

  private onExec(line: ProcmonExec): void {
    if (line.exe !== null && this.opts.ownHelpers?.includes(line.exe)) return;
    const owner = parseLeaf(line.cg);
    if (owner === null) return this.report(`procmon: exec of pid ${line.pid} in an unknown cgroup ${line.cg}`);
    this.owners.delete(line.pid); // a re-exec moves it to the young end
    this.owners.set(line.pid, owner);
    if (this.owners.size > MAX_TRACKED) {
      const oldest = this.owners.keys().next();
      if (!oldest.done) this.owners.delete(oldest.value);
    }
    this.deliver({
      kind: 'process-start',
      time: line.t,
      sandboxId: owner.sandboxId,
      step: owner.step,
      pid: line.pid,
      ppid: line.ppid,
      uid: line.uid,
      exe: line.exe,
      argv: line.argv,
      cwd: line.cwd,
      ...(line.fds === undefined ? {} : { stdio: line.fds.map(fdKindOfLink) }),
    });
  }

  private onExit(line: ProcmonExit): void {
    const owner = this.owners.get(line.pid);
    if (owner === undefined) return;
    this.owners.delete(line.pid);
    this.deliver({
      kind: 'process-exit',
      time: line.t,
      sandboxId: owner.sandboxId,
      step: owner.step,
      pid: line.pid,
      exitCode: line.code,
      signal: line.sig,
    });
  }

  private deliver(event: ProcessStartEvent | ProcessExitEvent): void {
    try {
      this.opts.emit(event);
    } catch (err) {
      this.report(`process event listener threw: ${err instanceof Error ? err.message : String(err)}`);
    }
  }

  private report(message: string): void {
    this.opts.onError?.(message);
  }

  private failFlushes(why: string): void {
    for (const f of this.flushes) f.reject(new PraetorError('internal', why));
  }
}
