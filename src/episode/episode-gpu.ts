// GPU use as an episode stores it: a step's from the guard's accounting of the sandbox exec steps
// the call ran as, the episode's from the whole sandbox (processes outside any step included).
// Recorded where the sandbox holds a GPU grant or used a GPU at all; absent otherwise, so episodes
// without GPUs look as they always did.
import type { GpuUse } from '../monitor/resource/gpu-accounting.js';
import type { GpuUseRecord } from './episode-model.js';

export interface GpuReport {
  readonly steps: ReadonlyMap<number | null, GpuUse>;
  readonly total: GpuUse;
}

function record(gpuSeconds: number, peakMemoryBytes: number): GpuUseRecord {
  return { gpuSeconds, peakMemoryBytes: Math.round(peakMemoryBytes) };
}

/**
 * The use of the given sandbox exec steps: GPU-seconds summed; peak memory the largest of theirs
 * (the exec steps of one call run one after another). Undefined where there is nothing to record.
 */
export function gpuOfSteps(report: GpuReport | null, sandboxSteps: readonly number[], granted: boolean): GpuUseRecord | undefined {
  if (report === null || (!granted && report.steps.size === 0)) return undefined;
  let seconds = 0;
  let peak = 0;
  for (const step of sandboxSteps) {
    const u = report.steps.get(step);
    if (u === undefined) continue;
    seconds += u.gpuSeconds;
    peak = Math.max(peak, u.peakMemoryBytes);
  }
  return record(seconds, peak);
}

/** The whole sandbox's use; undefined where there is nothing to record. */
export function gpuOfEpisode(report: GpuReport | null, granted: boolean): GpuUseRecord | undefined {
  if (report === null || (!granted && report.steps.size === 0)) return undefined;
  return record(report.total.gpuSeconds, report.total.peakMemoryBytes);
}
