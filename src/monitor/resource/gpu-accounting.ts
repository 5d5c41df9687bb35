// GPU-seconds and peak GPU memory per step, from gpu-sample events. A GPU-second is one GPU's SMs
// fully busy for one second (pmon's sm % times the interval), so two processes at 50 % for a second
// make one; where utilisation is not reported (MIG) the step is charged the interval it held memory.
import type { GpuSample } from '../events.js';

export interface GpuUse {
  readonly gpuSeconds: number;
  readonly peakMemoryBytes: number;
  /** Seconds in which a process of the step held the GPU (any memory or utilisation). */
  readonly heldSeconds: number;
}

export const NO_GPU_USE: GpuUse = { gpuSeconds: 0, peakMemoryBytes: 0, heldSeconds: 0 };

export function gpuSecondsOf(s: Pick<GpuSample, 'utilizationPercent' | 'memoryBytes' | 'intervalMs'>): number {
  if (s.utilizationPercent !== null) return (s.utilizationPercent / 100) * (s.intervalMs / 1000);
  return (s.memoryBytes ?? 0) > 0 ? s.intervalMs / 1000 : 0;
}

interface Peak {
  peakMemoryBytes: number;
  /** Memory summed per sampler frame (its samples share one time), the last few frames only. */
  readonly memoryAt: Map<number, number>;
}

/** Adds a process's memory to its interval's sum; the peak follows. */
function addMemory(p: Peak, s: GpuSample): void {
  const at = s.time;
  const sum = (p.memoryAt.get(at) ?? 0) + (s.memoryBytes ?? 0);
  p.memoryAt.set(at, sum);
  if (p.memoryAt.size > 4) p.memoryAt.delete(p.memoryAt.keys().next().value ?? at);
  p.peakMemoryBytes = Math.max(p.peakMemoryBytes, sum);
}

export class GpuAccounting {
  private readonly steps = new Map<number | null, Peak & { gpuSeconds: number; heldSeconds: number }>();
  /** The whole sandbox's peak: every process of it, in a step or not, within one interval. */
  private readonly sandbox: Peak = { peakMemoryBytes: 0, memoryAt: new Map<number, number>() };

  add(s: GpuSample): void {
    const e = this.steps.get(s.step) ?? { gpuSeconds: 0, peakMemoryBytes: 0, heldSeconds: 0, memoryAt: new Map<number, number>() };
    e.gpuSeconds += gpuSecondsOf(s);
    if ((s.utilizationPercent ?? 0) > 0 || (s.memoryBytes ?? 0) > 0) e.heldSeconds += s.intervalMs / 1000;
    // Peak memory of the step: the sum over its processes within one sampler frame.
    addMemory(e, s);
    addMemory(this.sandbox, s);
    this.steps.set(s.step, e);
  }

  /** One step's use; null: processes of no step. */
  step(step: number | null): GpuUse {
    const e = this.steps.get(step);
    return e === undefined ? NO_GPU_USE : { gpuSeconds: e.gpuSeconds, peakMemoryBytes: e.peakMemoryBytes, heldSeconds: e.heldSeconds };
  }

  /** Every step's use, and the whole sandbox's (peak: the most its processes held at once, steps together). */
  report(): { steps: Map<number | null, GpuUse>; total: GpuUse } {
    const steps = new Map<number | null, GpuUse>();
    let total: GpuUse = NO_GPU_USE;
    for (const k of this.steps.keys()) {
      const u = this.step(k);
      steps.set(k, u);
      total = {
        gpuSeconds: total.gpuSeconds + u.gpuSeconds,
        peakMemoryBytes: this.sandbox.peakMemoryBytes,
        heldSeconds: total.heldSeconds + u.heldSeconds,
      };
    }
    return { steps, total };
  }
}
