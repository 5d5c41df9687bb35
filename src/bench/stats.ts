// Summary statistics for benchmark samples: percentiles, mean, ratios of medians.
// Figures only: nothing here judges a timing, the report shows them beside the targets.

export interface Summary {
  readonly count: number;
  readonly min: number;
  readonly p50: number;
  readonly p99: number;
  readonly max: number;
  readonly mean: number;
}

/**
 * The p-th percentile (0..100) of samples sorted ascending, interpolated linearly between the
 * two closest ranks (numpy's default), so p50 of an even count is the mean of the middle two.
 */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) throw new RangeError('percentile of no samples');
  if (!(p >= 0 && p <= 100)) throw new RangeError(`percentile out of range: ${p}`);
  const rank = (p / 100) * (sorted.length - 1);
  const low = Math.floor(rank);
  const high = Math.ceil(rank);
  const lowValue = sorted[low] ?? 0;
  const highValue = sorted[high] ?? lowValue;
  return lowValue + (highValue - lowValue) * (rank - low);
}

/** Summarises samples in any order; null when there are none (every attempt failed). */
export function summarize(samples: readonly number[]): Summary | null {
  if (samples.length === 0) return null;
  for (const s of samples) {
    if (!Number.isFinite(s)) throw new RangeError(`not a finite sample: ${s}`);
  }
  const sorted = [...samples].sort((a, b) => a - b);
  const sum = sorted.reduce((acc, s) => acc + s, 0);
  return {
    count: sorted.length,
    min: sorted[0] ?? 0,
    p50: percentile(sorted, 50),
    p99: percentile(sorted, 99),
    max: sorted[sorted.length - 1] ?? 0,
    mean: sum / sorted.length,
  };
}

/** numerator / denominator, or null when either is missing or the denominator is not positive. */
export function ratio(numerator: number | null | undefined, denominator: number | null | undefined): number | null {
  if (numerator === null || numerator === undefined || denominator === null || denominator === undefined) return null;
  if (!(denominator > 0)) return null;
  return numerator / denominator;
}

/** Milliseconds since `start` (a performance.now() reading), from the monotonic clock. */
export function elapsedMs(start: number): number {
  return performance.now() - start;
}
