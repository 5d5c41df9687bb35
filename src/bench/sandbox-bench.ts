// praetor's own figures on a sandbox backend: cold create-to-first-command, destroy, exec in a
// live sandbox, and many sandboxes alive at once. Every failure is counted with its message.
import { readFile } from 'node:fs/promises';
import type { ExecResult, Sandbox, SandboxBackend } from '../sandbox/backend.js';
import { errorMessage } from '../core/errors.js';
import type { PhaseProgress } from './progress.js';
import { elapsedMs, summarize, type Summary } from './stats.js';
import { SandboxPool } from '../sandbox/sandbox-pool.js';

export interface BenchError {
  readonly phase: string;
  readonly message: string;
  readonly count: number;
}

/** Failures grouped by phase and message, so 200 identical errors read as one line with a count. */
export class ErrorTally {
  private readonly counts = new Map<string, BenchError>();

  add(phase: string, message: string): void {
    const key = `${phase}\0${message}`;
    const seen = this.counts.get(key);
    this.counts.set(key, { phase, message, count: (seen?.count ?? 0) + 1 });
  }

  list(): BenchError[] {
    return [...this.counts.values()];
  }
}

const TRUE = ['true'] as const;
function failure(result: ExecResult): string | null {
  if (result.exitCode === 0) return null;
  const stderr = result.stderr.toString().trim();
  return `exit ${result.exitCode ?? result.signal}${result.timedOut ? ' (timed out)' : ''}${stderr ? `: ${stderr}` : ''}`;
}

/** Runs a sandbox's first `true`; a failure is counted, never retried (a sandbox must work at once). */
async function firstTrue(sandbox: Sandbox, phase: string, errors: ErrorTally): Promise<boolean> {
  const why = failure(await sandbox.exec(TRUE));
  if (why !== null) errors.add(phase, why);
  return why === null;
}

export interface ColdFigures {
  /** The first create of the run, which also starts the backend (seccomp program, kernel log). */
  readonly backendStartMs: number;
  /** create() start until the first `true` has exited 0. */
  readonly createToFirstCommand: Summary | null;
  readonly destroy: Summary | null;
  /** Sandboxes whose first `true` did not exit 0 (left out of the figure, listed in errors). */
  readonly firstExecFailed: number;
}

export async function measureCold(
  backend: SandboxBackend,
  iterations: number,
  progress: PhaseProgress,
  errors: ErrorTally,
): Promise<ColdFigures> {
  // Not caught: a backend that cannot create even once (not root, no helper) fails the bench.
  const startupBegin = performance.now();
  const warm = await backend.create();
  await firstTrue(warm, 'cold warm-up first exec', errors);
  const backendStartMs = elapsedMs(startupBegin);
  await warm.destroy();

  const cold: number[] = [];
  const destroy: number[] = [];
  let firstExecFailed = 0;
  progress.start('cold create+true', iterations);
  try {
    for (let i = 0; i < iterations; i++, progress.tick()) {
      const begin = performance.now();
      let sandbox: Sandbox;
      try {
        sandbox = await backend.create();
      } catch (err) {
        errors.add('cold create', errorMessage(err));
        continue;
      }
      try {
        if (await firstTrue(sandbox, 'cold first exec', errors)) cold.push(elapsedMs(begin));
        else firstExecFailed++;
      } catch (err) {
        errors.add('cold first exec', errorMessage(err));
      }
      const destroyBegin = performance.now();
      try {
        await sandbox.destroy();
        destroy.push(elapsedMs(destroyBegin));
      } catch (err) {
        errors.add('cold destroy', errorMessage(err));
      }
    }
  } finally {
    progress.stop();
  }
  return { backendStartMs, createToFirstCommand: summarize(cold), destroy: summarize(destroy), firstExecFailed };
}

/** `true` run `count` times in one live sandbox, after an untimed first one. */
export async function measureExec(
  backend: SandboxBackend,
  count: number,
  progress: PhaseProgress,
  errors: ErrorTally,
): Promise<Summary | null> {
  const sandbox = await backend.create();
  const samples: number[] = [];
  try {
    if (!(await firstTrue(sandbox, 'exec warm-up', errors))) return null;
    progress.start('exec true (live)', count);
    try {
      for (let i = 0; i < count; i++, progress.tick()) {
        const begin = performance.now();
        try {
          const why = failure(await sandbox.exec(TRUE));
          if (why === null) samples.push(elapsedMs(begin));
          else errors.add('exec', why);
        } catch (err) {
          errors.add('exec', errorMessage(err));
        }
      }
    } finally {
      progress.stop();
    }
  } finally {
    await sandbox.destroy().catch((err: unknown) => errors.add('exec destroy', errorMessage(err)));
  }
  return summarize(samples);
}

/**
 * Pooled create-to-first-command: a sandbox taken from a full warm pool and its first `true`.
 * The pool is refilled (untimed) before the next sample, as a pool sized for the load would be.
 */
export async function measurePooled(
  backend: SandboxBackend,
  iterations: number,
  progress: PhaseProgress,
  errors: ErrorTally,
): Promise<Summary | null> {
  const pool = new SandboxPool(backend, { size: 2, onError: (m) => errors.add('pool refill', m) });
  const samples: number[] = [];
  progress.start('pooled acquire+true', iterations);
  try {
    for (let i = 0; i < iterations; i++, progress.tick()) {
      await pool.fill();
      const begin = performance.now();
      const sandbox = await pool.acquire();
      try {
        const why = failure(await sandbox.exec(TRUE));
        if (why === null) samples.push(elapsedMs(begin));
        else errors.add('pooled first exec', why);
      } finally {
        await sandbox.destroy().catch((err: unknown) => errors.add('pooled destroy', errorMessage(err)));
      }
    }
  } finally {
    progress.stop();
    await pool.close();
  }
  return summarize(samples);
}

/**
 * Runs `task` over `items` with at most `limit` in flight, each outcome kept in order.
 * Written here because it is a dozen lines; a dependency would add nothing.
 */
export async function mapLimit<T, R>(
  items: readonly T[],
  limit: number,
  task: (item: T) => Promise<R>,
  onSettled: () => void = () => undefined,
): Promise<PromiseSettledResult<R>[]> {
  const results: PromiseSettledResult<R>[] = new Array<PromiseSettledResult<R>>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const index = next++;
      try {
        results[index] = { status: 'fulfilled', value: await task(items[index] as T) };
      } catch (reason) {
        results[index] = { status: 'rejected', reason };
      }
      onSettled();
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker));
  return results;
}

/** MemAvailable of /proc/meminfo in bytes, null where it cannot be read. */
export async function memAvailable(): Promise<number | null> {
  try {
    const m = /^MemAvailable:\s+(\d+)\s+kB$/m.exec(await readFile('/proc/meminfo', 'utf8'));
    return m ? Number(m[1]) * 1024 : null;
  } catch {
    return null;
  }
}

export interface PhaseFigures {
  readonly attempted: number;
  readonly succeeded: number;
  readonly totalMs: number;
  /** Each operation's own time, under the load of the others in flight. */
  readonly each: Summary | null;
}

export interface ConcurrencyFigures {
  readonly requested: number;
  readonly parallelism: number;
  readonly create: PhaseFigures;
  readonly exec: PhaseFigures;
  readonly destroy: PhaseFigures;
  /** Sandboxes alive at the same time at the peak (all created ones, before any destroy). */
  readonly peakLive: number;
  readonly memAvailableBefore: number | null;
  readonly memAvailableAtPeak: number | null;
  readonly memAvailableAfter: number | null;
  readonly praetorRssBefore: number;
  readonly praetorRssAtPeak: number;
  readonly praetorRssAfter: number;
}

async function phase<T, R>(
  label: string,
  items: readonly T[],
  parallelism: number,
  task: (item: T) => Promise<R>,
  progress: PhaseProgress,
  errors: ErrorTally,
): Promise<{ figures: PhaseFigures; values: R[] }> {
  const times: number[] = [];
  const timed = async (item: T): Promise<R> => {
    const begin = performance.now();
    const value = await task(item);
    times.push(elapsedMs(begin));
    return value;
  };
  progress.start(label, items.length);
  const begin = performance.now();
  let results: PromiseSettledResult<R>[];
  try {
    results = await mapLimit(items, parallelism, timed, () => progress.tick());
  } finally {
    progress.stop();
  }
  const totalMs = elapsedMs(begin);
  const values: R[] = [];
  for (const r of results) {
    if (r.status === 'fulfilled') values.push(r.value);
    else errors.add(label, errorMessage(r.reason));
  }
  return { figures: { attempted: items.length, succeeded: values.length, totalMs, each: summarize(times) }, values };
}

/** `count` sandboxes created (at most `parallelism` at a time), `true` in each, then all destroyed. */
export async function measureConcurrency(
  backend: SandboxBackend,
  count: number,
  parallelism: number,
  progress: PhaseProgress,
  errors: ErrorTally,
): Promise<ConcurrencyFigures> {
  const memAvailableBefore = await memAvailable();
  const praetorRssBefore = process.memoryUsage().rss;
  const slots = Array.from({ length: count }, (_, i) => i);
  const created = await phase('concurrent create', slots, parallelism, () => backend.create(), progress, errors);
  const sandboxes = created.values;
  const runTrue = async (sandbox: Sandbox): Promise<void> => {
    const why = failure(await sandbox.exec(TRUE));
    if (why !== null) throw new Error(`${sandbox.id}: ${why}`);
  };
  const exec = await phase('concurrent exec true', sandboxes, parallelism, runTrue, progress, errors);
  const memAvailableAtPeak = await memAvailable();
  const praetorRssAtPeak = process.memoryUsage().rss;
  const destroy = await phase('concurrent destroy', sandboxes, parallelism, (s) => s.destroy(), progress, errors);
  return {
    requested: count,
    parallelism,
    create: created.figures,
    exec: exec.figures,
    destroy: destroy.figures,
    peakLive: sandboxes.length,
    memAvailableBefore,
    memAvailableAtPeak,
    memAvailableAfter: await memAvailable(),
    praetorRssBefore,
    praetorRssAtPeak,
    praetorRssAfter: process.memoryUsage().rss,
  };
}
