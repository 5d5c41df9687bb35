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

export class GpuAccounting {
  private readonly steps = new Map<number | null, { gpuSeconds: number; peakMemoryBytes: number; heldSeconds: number; memoryAt: Map<number, number> }>();

  add(s: GpuSample): void {
    const e = this.steps.get(s.step) ?? { gpuSeconds: 0, peakMemoryBytes: 0, heldSeconds: 0, memoryAt: new Map<number, number>() };
    e.gpuSeconds += gpuSecondsOf(s);
    if ((s.utilizationPercent ?? 0) > 0 || (s.memoryBytes ?? 0) > 0) e.heldSeconds += s.intervalMs / 1000;
    // Peak memory of the step: the sum over its processes within one sampler interval.
    const at = Math.floor(s.time / s.intervalMs);
    const sum = (e.memoryAt.get(at) ?? 0) + (s.memoryBytes ?? 0);
    e.memoryAt.set(at, sum);
    if (e.memoryAt.size > 4) e.memoryAt.delete(e.memoryAt.keys().next().value ?? at);
    e.peakMemoryBytes = Math.max(e.peakMemoryBytes, sum);
    this.steps.set(s.step, e);
  }

  /** One step's use; null: processes of no step. */
  step(step: number | null): GpuUse {
    const e = this.steps.get(step);
    return e === undefined ? NO_GPU_USE : { gpuSeconds: e.gpuSeconds, peakMemoryBytes: e.peakMemoryBytes, heldSeconds: e.heldSeconds };
  }

  /** Every step's use, and the whole sandbox's (peak: the largest of any step). */
  report(): { steps: Map<number | null, GpuUse>; total: GpuUse } {
    const steps = new Map<number | null, GpuUse>();
    let total: GpuUse = NO_GPU_USE;
    for (const k of this.steps.keys()) {
      const u = this.step(k);
      steps.set(k, u);
      total = {
        gpuSeconds: total.gpuSeconds + u.gpuSeconds,
        peakMemoryBytes: Math.max(total.peakMemoryBytes, u.peakMemoryBytes),
        heldSeconds: total.heldSeconds + u.heldSeconds,
      };
    }
    return { steps, total };
  }
}
