// Runs one exec (a step) inside the sandbox through the sandbox's spawner, and collects
// its output with a size cap. The exec is over when its main process exits (and its pipes close,
// or a short grace passes); processes it left behind keep running, and any pipe they still hold
// is drained by the spawner so they never die of SIGPIPE.
import { MAX_TIMEOUT_MS, type ExecOptions, type ExecResult } from '../backend.js';
import { PraetorError } from '../../core/errors.js';
import type { Spawner } from './spawner.js';
import type { EnterSpec } from './spawner-protocol.js';

export const DEFAULT_MAX_OUTPUT = 10 * 2 ** 20;
const PIPE_GRACE_MS = 50;

export interface SpawnPlan {
  /** The command, searched in env's PATH inside the sandbox. */
  readonly argv: readonly string[];
  readonly env: Record<string, string>;
  readonly enter: EnterSpec;
  /** The host pid of the process the spawner started (the one that entered the sandbox). */
  readonly onStarted?: (pid: number) => void;
  /** That process has exited (or was never reaped: the spawner died). */
  readonly onFinished?: (pid: number) => void;
  readonly step: number;
  /** Kills every process of the step (its cgroup), used on timeout. */
  readonly killStep: () => Promise<void>;
}

class CappedBuffer {
  private readonly chunks: Buffer[] = [];
  private kept = 0;
  truncated = false;

  constructor(private readonly cap: number) {}

  push(chunk: Buffer): void {
    const room = this.cap - this.kept;
    if (room <= 0) {
      this.truncated = true;
      return;
    }
    const part = chunk.length > room ? chunk.subarray(0, room) : chunk;
    if (part.length < chunk.length) this.truncated = true;
    this.chunks.push(part);
    this.kept += part.length;
  }

  value(): Buffer {
    return Buffer.concat(this.chunks);
  }
}

/** Refuses a timeout no timer can hold (see MAX_TIMEOUT_MS) or that is not a positive number. */
export function checkExecOptions(options: ExecOptions): void {
  const t = options.timeoutMs;
  if (t !== undefined && !(Number.isFinite(t) && t > 0 && t <= MAX_TIMEOUT_MS)) {
    throw new PraetorError('usage', `a timeout must be more than 0 and at most ${MAX_TIMEOUT_MS} ms (24.8 days), got ${t}`);
  }
}

export function runExec(spawner: Spawner, plan: SpawnPlan, options: ExecOptions): Promise<ExecResult> {
  const started = performance.now();
  const cap = options.maxOutputBytes ?? DEFAULT_MAX_OUTPUT;
  const out = { stdout: new CappedBuffer(cap), stderr: new CappedBuffer(cap) };
  const taps = { stdout: options.onStdout, stderr: options.onStderr };
  const stdin = options.stdin === undefined ? Buffer.alloc(0) : Buffer.from(options.stdin);
  return new Promise((resolve, reject) => {
    let timedOut = false;
    let startedPid: number | null = null;
    let exit: { code: number | null; signal: NodeJS.Signals | null } | null = null;
    let open = 2;
    let grace: NodeJS.Timeout | null = null;
    let done = false;
    const timer =
      options.timeoutMs === undefined
        ? null
        : setTimeout(() => {
            timedOut = true;
            void plan.killStep();
          }, options.timeoutMs);
    const abort = (): void => void plan.killStep();
    options.signal?.addEventListener('abort', abort, { once: true });
    const settle = (): void => {
      done = true;
      options.signal?.removeEventListener('abort', abort);
      if (timer) clearTimeout(timer);
      if (grace) clearTimeout(grace);
      // Background processes may still hold the pipes: the spawner keeps draining them, unseen.
      // (With both pipes closed the spawner has forgotten the exec already; no need to tell it.)
      if (open === 0 && exit !== null) handle.forget();
      else handle.release();
    };
    const finish = (): void => {
      if (done || exit === null) return;
      settle();
      resolve({
        step: plan.step,
        exitCode: exit.code,
        signal: exit.signal,
        stdout: out.stdout.value(),
        stderr: out.stderr.value(),
        stdoutTruncated: out.stdout.truncated,
        stderrTruncated: out.stderr.truncated,
        timedOut,
        durationMs: performance.now() - started,
      });
    };
    const handle = spawner.spawn(plan.argv, plan.env, stdin, {
      onStarted: (pid) => {
        startedPid = pid;
        plan.onStarted?.(pid);
        if (options.signal?.aborted === true) abort(); // gone before the step started
      },
      onData: (stream, chunk) => {
        if (done) return;
        out[stream].push(chunk);
        taps[stream]?.(chunk);
      },
      onEof: () => {
        if (--open === 0) finish();
      },
      onExit: (code, signal) => {
        if (timer) clearTimeout(timer); // daemons left holding the pipes are no timeout
        if (startedPid !== null) plan.onFinished?.(startedPid);
        exit = { code, signal };
        if (open === 0) finish();
        else grace ??= setTimeout(finish, PIPE_GRACE_MS);
      },
      onError: (err) => {
        if (done) return;
        settle();
        // Fail closed: whatever the step started is killed before the error is reported.
        if (startedPid !== null) plan.onFinished?.(startedPid);
        const cleanup = startedPid !== null ? plan.killStep().catch(() => undefined) : Promise.resolve();
        void cleanup.then(() => reject(err));
      },
    }, plan.enter);
  });
}
