// Runs one exec (a step) through praetor-spawn and collects its output with a size cap.
// The exec is over when its main process exits; processes it left behind keep running, and
// any pipe they still hold is drained in the background so they never die of SIGPIPE.
import { spawn } from 'node:child_process';
import type { Readable } from 'node:stream';
import type { ExecOptions, ExecResult } from '../backend.js';

export const DEFAULT_MAX_OUTPUT = 10 * 2 ** 20;
const PIPE_GRACE_MS = 50;

export interface SpawnPlan {
  readonly command: string;
  readonly args: readonly string[];
  readonly env: Record<string, string>;
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

function collect(stream: Readable, buffer: CappedBuffer, onChunk?: (c: Buffer) => void): () => void {
  let collecting = true;
  stream.on('data', (chunk: Buffer) => {
    if (!collecting) return;
    buffer.push(chunk);
    onChunk?.(chunk);
  });
  return () => {
    collecting = false;
  };
}

export function runExec(plan: SpawnPlan, options: ExecOptions): Promise<ExecResult> {
  const started = performance.now();
  const cap = options.maxOutputBytes ?? DEFAULT_MAX_OUTPUT;
  const stdout = new CappedBuffer(cap);
  const stderr = new CappedBuffer(cap);
  return new Promise((resolve, reject) => {
    const child = spawn(plan.command, plan.args, {
      env: plan.env,
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    const stopOut = collect(child.stdout, stdout, options.onStdout);
    const stopErr = collect(child.stderr, stderr, options.onStderr);
    child.stdin.on('error', () => undefined); // the command may exit without reading its input
    child.stdin.end(options.stdin ?? '');
    let timedOut = false;
    const timer =
      options.timeoutMs === undefined
        ? null
        : setTimeout(() => {
            timedOut = true;
            void plan.killStep();
          }, options.timeoutMs);
    child.on('error', (err) => {
      if (timer) clearTimeout(timer);
      reject(err);
    });
    child.on('exit', (code, signal) => {
      if (timer) clearTimeout(timer);
      const finish = (): void => {
        stopOut();
        stopErr();
        // Background processes may still hold the pipes: keep draining, but do not keep praetor alive.
        for (const s of [child.stdout, child.stderr]) {
          s.resume();
          (s as Readable & { unref?: () => void }).unref?.();
        }
        resolve({
          step: plan.step,
          exitCode: code,
          signal,
          stdout: stdout.value(),
          stderr: stderr.value(),
          stdoutTruncated: stdout.truncated,
          stderrTruncated: stderr.truncated,
          timedOut,
          durationMs: performance.now() - started,
        });
      };
      if (child.stdout.readableEnded && child.stderr.readableEnded) finish();
      else {
        let done = false;
        const once = (): void => {
          if (done) return;
          done = true;
          clearTimeout(grace);
          finish();
        };
        const grace = setTimeout(once, PIPE_GRACE_MS);
        let closed = 0;
        for (const s of [child.stdout, child.stderr]) {
          if (s.readableEnded) closed++;
          else s.once('end', () => ++closed === 2 && once());
        }
        if (closed === 2) once();
      }
    });
  });
}
