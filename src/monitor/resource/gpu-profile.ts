// What a process does with a GPU, judged from its last half minute of 1 s samples. Hashing keeps
// the SMs saturated without a dip, holds a small buffer that never changes size, and barely talks
// to the host (the nonces it finds are bytes); training dips at every batch boundary and streams
// batches over PCIe; an inference server follows its request load. Thresholds were set on the
// recordings in fixtures/ (docs/gpu.md shows the figures) and are constants here, not guesses per call.

export type GpuProfile = 'hashing' | 'training' | 'inference' | 'idle' | 'unknown';

export interface ProfilePoint {
  readonly smPercent: number | null;
  readonly fbMiB: number | null;
  /** The whole GPU's host transfers (rx + tx, MB/s); null where not reported. */
  readonly pcieMBps: number | null;
}

export const PROFILE_WINDOW = 30;
/** Samples needed before anything but 'unknown' is said. */
export const PROFILE_MIN_SAMPLES = 20;
export const HASHING = {
  minMeanSm: 95,
  minSm: 90,
  /** Largest buffer: a DAG-based algorithm (ethash, kawpow) holds 4-6 GiB; models in training hold more. */
  maxFbMiB: 8192,
  /** Memory that moves by more than this (or 0.5 %) is an allocator at work, not a fixed scratchpad. */
  maxFbRangeMiB: 16,
  maxMeanPcieMBps: 4,
} as const;

function stats(values: readonly number[]): { mean: number; min: number; max: number; sd: number } {
  const mean = values.reduce((a, b) => a + b, 0) / values.length;
  const sd = Math.sqrt(values.reduce((a, b) => a + (b - mean) ** 2, 0) / values.length);
  return { mean, min: Math.min(...values), max: Math.max(...values), sd };
}

export function classifyGpuWindow(points: readonly ProfilePoint[]): GpuProfile {
  const sm = points.map((p) => p.smPercent).filter((v): v is number => v !== null);
  if (sm.length < PROFILE_MIN_SAMPLES) return 'unknown';
  const s = stats(sm);
  if (s.mean < 5) return 'idle';
  const fb = points.map((p) => p.fbMiB).filter((v): v is number => v !== null);
  const pcie = points.map((p) => p.pcieMBps).filter((v): v is number => v !== null);
  const f = fb.length > 0 ? stats(fb) : null;
  const p = pcie.length > 0 ? stats(pcie) : null;
  const flat = f !== null && f.max - f.min <= Math.max(HASHING.maxFbRangeMiB, f.max * 0.005);
  const quietBus = p === null || p.mean <= HASHING.maxMeanPcieMBps;
  if (s.mean >= HASHING.minMeanSm && s.min >= HASHING.minSm && flat && f.max <= HASHING.maxFbMiB && quietBus) return 'hashing';
  if (s.sd >= 15) return 'inference';
  if (s.mean >= 50) return 'training';
  return 'unknown';
}

/** Keeps the last PROFILE_WINDOW points per (pid, GPU) and classifies them. */
export class GpuProfiler {
  private readonly windows = new Map<string, ProfilePoint[]>();

  add(pid: number, gpuIndex: number, point: ProfilePoint): GpuProfile {
    const key = `${pid}:${gpuIndex}`;
    const w = this.windows.get(key) ?? [];
    w.push(point);
    if (w.length > PROFILE_WINDOW) w.shift();
    this.windows.set(key, w);
    return classifyGpuWindow(w);
  }

  /** Forgets processes not seen in the last frame (pids are reused). */
  keepOnly(keys: ReadonlySet<string>): void {
    for (const k of this.windows.keys()) if (!keys.has(k)) this.windows.delete(k);
  }
}
