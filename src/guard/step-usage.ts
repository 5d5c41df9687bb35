// How each step of one sandbox used the CPU, turned into one step-usage event when its exec returns.
// The step's cgroup leaf gives CPU time (user and system) and memory peak at the end, so the signal
// holds in one-shot runs where the sandbox is destroyed right after the step. What a busy step's
// processes waited for a CPU (their schedstat) is read only while a resource sample shows the step
// busy, so a host under load does not hide a step that wanted a whole core: idle sandboxes cost
// nothing. Exec counts come from the process monitor's events.
import type { StepUsageEvent } from '../monitor/events.js';
import type { CgroupLayout } from '../sandbox/cgroup/cgroup-layout.js';
import { readIoBytes, readStepCpu, readWaitNs, stepPids, type StepCpu } from '../monitor/resource/step-cpu.js';

/** A step's resource sample at or above this many cores has its processes' waits read. */
const BUSY_CORES = 0.2;
/** Steps shorter than this are not reported: too short to say anything about sustained use. */
export const MIN_REPORTED_WALL_MS = 2000;
const MAX_TRACKED_STEPS = 64;

interface StepState {
  startedAt: number;
  start: StepCpu | null;
  execs: number;
  /** Highest wait seen per process, in nanoseconds. */
  readonly waits: Map<number, number>;
  /** Highest read + written bytes seen per process. */
  readonly io: Map<number, number>;
}

export interface StepUsageDeps {
  readonly sandboxId: string;
  readonly layout: CgroupLayout | null;
}

/** The step's cgroup leaf, as backends name it (see resource-sampler.ts). */
const stepLeaf = (step: number): string => `step-${step}`;

/** The event a step's start and end readings make; null when it ran too briefly or was not read. */
export function stepUsageEvent(
  base: { sandboxId: string; step: number; time: number },
  wallMs: number,
  start: StepCpu | null,
  end: StepCpu,
  waitNs: number,
  execs: number,
  ioBytes = 0,
): StepUsageEvent | null {
  if (wallMs < MIN_REPORTED_WALL_MS) return null;
  const cpuSeconds = Math.max(0, end.cpuSeconds - (start?.cpuSeconds ?? 0));
  const user = Math.max(0, end.userSeconds - (start?.userSeconds ?? 0));
  const system = Math.max(0, end.systemSeconds - (start?.systemSeconds ?? 0));
  const wall = wallMs / 1000;
  const round = (n: number): number => Math.round(n * 1000) / 1000;
  return {
    kind: 'step-usage',
    ...base,
    wallMs,
    cpuSeconds: round(cpuSeconds),
    cores: round(cpuSeconds / wall),
    demandCores: round((cpuSeconds + waitNs / 1e9) / wall),
    userShare: user + system > 0 ? round(user / (user + system)) : 0,
    execs,
    ioPerCpuSecond: cpuSeconds > 0 ? Math.round(ioBytes / cpuSeconds) : 0,
    peakMemoryBytes: end.peakMemoryBytes,
  };
}

export class StepUsage {
  private readonly steps = new Map<number, StepState>();

  constructor(private readonly deps: StepUsageDeps) {}

  /**
   * The step's exec begins. Its leaf is not read: each step has a leaf of its own, made ahead and
   * empty until this step enters it, so its counters start at zero (start null reads as zero), and
   * two reads through the thread pool per step are saved on the exec path.
   */
  began(step: number, time: number): Promise<void> {
    if (this.steps.size >= MAX_TRACKED_STEPS) this.steps.delete(this.steps.keys().next().value ?? 0);
    this.steps.set(step, { startedAt: time, start: null, execs: 0, waits: new Map(), io: new Map() });
    return Promise.resolve();
  }

  exec(step: number | null): void {
    if (step === null) return;
    const state = this.steps.get(step);
    if (state) state.execs++;
  }

  /** A resource sample of a running step: when busy, what its processes have waited for a CPU so far. */
  async sampled(step: number | null, cores: number): Promise<void> {
    const state = step === null ? undefined : this.steps.get(step);
    const layout = this.deps.layout;
    if (step === null || state === undefined || layout === null || cores < BUSY_CORES) return;
    for (const pid of await stepPids(layout, this.deps.sandboxId, stepLeaf(step))) {
      const [wait, io] = await Promise.all([readWaitNs(pid), readIoBytes(pid)]);
      if (wait !== null && wait > (state.waits.get(pid) ?? 0)) state.waits.set(pid, wait);
      if (io !== null && io > (state.io.get(pid) ?? 0)) state.io.set(pid, io);
    }
  }

  /** The step's exec returned: its usage over its whole life, or null. */
  async ended(step: number, time: number): Promise<StepUsageEvent | null> {
    const state = this.steps.get(step);
    this.steps.delete(step);
    const layout = this.deps.layout;
    if (state === undefined || layout === null) return null;
    // a step too short to report is not read at all (stepUsageEvent would drop it): most steps
    if (time - state.startedAt < MIN_REPORTED_WALL_MS) return null;
    const end = await readStepCpu(layout, this.deps.sandboxId, stepLeaf(step));
    if (end === null) return null;
    let waitNs = 0;
    for (const w of state.waits.values()) waitNs += w;
    let ioBytes = 0;
    for (const b of state.io.values()) ioBytes += b;
    return stepUsageEvent({ sandboxId: this.deps.sandboxId, step, time }, time - state.startedAt, state.start, end, waitNs, state.execs, ioBytes);
  }
}
