// Samples each watched sandbox's cgroup counters on a timer and emits CPU, memory and task use
// for the sandbox and for each of its steps. Reads a few small files per scope and spawns nothing.
import { setImmediate as yieldToLoop } from 'node:timers/promises';
import type { CgroupLayout } from '../../sandbox/cgroup/cgroup-layout.js';
import type { ResourceSample } from '../events.js';
import { type CgroupStats, type ReadText, cpuCores, readCgroupStats } from './cgroup-stats.js';

export interface SandboxStepInfo {
  /** Whether the step's exec is still running (processes that outlive it are suspect). */
  stepRunning: (step: number) => boolean;
  /** Steps that have a cgroup with processes or are running. */
  steps: () => number[];
}

export interface ResourceSamplerOptions {
  layout: CgroupLayout;
  /** Default 1000. */
  intervalMs?: number;
  emit: (e: ResourceSample) => void;
  now?: () => number;
  /** Injected in tests; defaults to readCounterFile (a synchronous read: see there for why). */
  readFile?: (path: string) => Promise<string>;
  /** Sandboxes read at once with an asynchronous readFile; default 4, libuv's thread pool size. */
  concurrency?: number;
  /** A sandbox whose counters could not be read (the others are still sampled), or null for a failed tick. */
  onError?: (err: unknown, sandboxId: string | null) => void;
}

interface Previous {
  readonly cpuSeconds: number;
  readonly time: number;
}

interface Watched {
  readonly info: SandboxStepInfo;
  /** Last reading per scope ('sandbox', 'step-N'), the base of the next interval. */
  readonly previous: Map<string, Previous>;
}

const stepLeaf = (step: number): string => `step-${step}`;

/** Runs fn over items with at most `limit` in flight. */
async function eachLimited<T>(items: readonly T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const item = items[next++] as T;
      await fn(item);
      // Synchronous reads resolve at once: without this the whole pass would hold the event loop.
      await yieldToLoop();
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}

export class ResourceSampler {
  private readonly watched = new Map<string, Watched>();
  private readonly intervalMs: number;
  private readonly now: () => number;
  private readonly readFile: ReadText | undefined;
  private readonly concurrency: number;
  private timer: NodeJS.Timeout | null = null;
  private inFlight = false;

  constructor(private readonly opts: ResourceSamplerOptions) {
    this.intervalMs = opts.intervalMs ?? 1000;
    this.now = opts.now ?? Date.now;
    this.readFile = opts.readFile;
    this.concurrency = Math.max(1, opts.concurrency ?? 4);
  }

  /** Sandboxes sampled now. */
  get watchedCount(): number {
    return this.watched.size;
  }

  watch(sandboxId: string, info: SandboxStepInfo): () => void {
    const entry: Watched = { info, previous: new Map() };
    this.watched.set(sandboxId, entry);
    return () => {
      // Only the registration this call made: a sandbox id re-watched since keeps its new entry.
      if (this.watched.get(sandboxId) === entry) this.watched.delete(sandboxId);
    };
  }

  start(): void {
    if (this.timer !== null) return;
    this.timer = setInterval(() => {
      // A tick that finds the last one still reading is skipped rather than stacked.
      if (!this.inFlight) void this.tick();
    }, this.intervalMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
  }

  private async tick(): Promise<void> {
    const timer = this.timer;
    this.inFlight = true;
    try {
      const samples = await this.collect();
      // A pass that finishes after stop() is dropped: stopped means nothing more is emitted.
      if (this.timer === timer) for (const e of samples) this.opts.emit(e);
    } catch (err) {
      this.opts.onError?.(err, null); // a throwing emit: the timer must outlive it
    } finally {
      this.inFlight = false;
    }
  }

  async sampleOnce(): Promise<void> {
    for (const e of await this.collect()) this.opts.emit(e);
  }

  /** One pass over every watched sandbox, in watch order, sandbox before its steps. */
  private async collect(): Promise<ResourceSample[]> {
    const entries = [...this.watched];
    const samples = new Map<string, ResourceSample[]>();
    await eachLimited(entries, this.concurrency, async ([sandboxId, entry]) => {
      try {
        samples.set(sandboxId, await this.sampleSandbox(sandboxId, entry));
      } catch (err) {
        this.opts.onError?.(err, sandboxId);
      }
    });
    // Ordered as watched, whatever order the reads finished in.
    return entries
      .filter(([sandboxId, entry]) => this.watched.get(sandboxId) === entry) // unwatched while being read
      .flatMap(([sandboxId]) => samples.get(sandboxId) ?? []);
  }

  private async sampleSandbox(sandboxId: string, entry: Watched): Promise<ResourceSample[]> {
    const steps = [...new Set(entry.info.steps())];
    const scopes: { key: string; step: number | null }[] = [
      { key: 'sandbox', step: null },
      ...steps.map((step) => ({ key: stepLeaf(step), step })),
    ];
    const readings = await Promise.all(
      scopes.map(async (s) => {
        const stats = await readCgroupStats(this.opts.layout, sandboxId, s.step === null ? null : s.key, this.readFile);
        return { ...s, stats, time: this.now() };
      }),
    );
    const out: ResourceSample[] = [];
    for (const key of entry.previous.keys()) if (!scopes.some((s) => s.key === key)) entry.previous.delete(key);
    for (const { key, step, stats, time } of readings) {
      const sample = this.advance(entry, key, stats, time);
      if (sample === null || stats === null) continue;
      out.push({
        kind: 'resource-sample',
        time,
        sandboxId,
        step,
        scope: step === null ? 'sandbox' : 'step',
        cpuSeconds: stats.cpuSeconds,
        cpuCores: sample.cpuCores,
        intervalMs: sample.intervalMs,
        memoryBytes: stats.memoryBytes,
        pids: stats.pids,
        stepRunning: step === null ? null : entry.info.stepRunning(step),
      });
    }
    return out;
  }

  /** Moves a scope's baseline forward; null for its first reading (no interval yet) or a gone cgroup. */
  private advance(
    entry: Watched,
    key: string,
    stats: CgroupStats | null,
    time: number,
  ): { cpuCores: number; intervalMs: number } | null {
    const prev = entry.previous.get(key);
    if (stats === null) {
      entry.previous.delete(key);
      return null;
    }
    // A reading older than the baseline (a sampleOnce racing the timer's pass) would give a negative interval.
    if (prev !== undefined && time <= prev.time) return null;
    entry.previous.set(key, { cpuSeconds: stats.cpuSeconds, time });
    if (prev === undefined) return null;
    const intervalMs = time - prev.time;
    return { cpuCores: cpuCores(prev.cpuSeconds, stats.cpuSeconds, intervalMs), intervalMs };
  }
}
