import { describe, it } from 'node:test';
import * as assert from 'node:assert/strict';
import { percentile, ratio, summarize } from './stats.js';

describe('percentile', () => {
  it('interpolates between the closest ranks', () => {
    const sorted = [1, 2, 3, 4];
    assert.equal(percentile(sorted, 0), 1);
    assert.equal(percentile(sorted, 50), 2.5);
    assert.equal(percentile(sorted, 100), 4);
    assert.ok(Math.abs(percentile(sorted, 99) - 3.97) < 1e-9);
  });

  it('returns the only sample for a single one', () => {
    assert.equal(percentile([7], 50), 7);
    assert.equal(percentile([7], 99), 7);
  });

  it('refuses no samples and out-of-range percentiles', () => {
    assert.throws(() => percentile([], 50), RangeError);
    assert.throws(() => percentile([1], 101), RangeError);
    assert.throws(() => percentile([1], -1), RangeError);
    assert.throws(() => percentile([1], Number.NaN), RangeError);
  });
});

describe('summarize', () => {
  it('sorts before taking percentiles', () => {
    const s = summarize([5, 1, 4, 2, 3]);
    assert.deepEqual(s, { count: 5, min: 1, p50: 3, p99: 4.96, max: 5, mean: 3 });
  });

  it('does not reorder the caller’s array', () => {
    const samples = [3, 1, 2];
    summarize(samples);
    assert.deepEqual(samples, [3, 1, 2]);
  });

  it('gives p99 close to the maximum over 100 samples', () => {
    const samples = Array.from({ length: 100 }, (_, i) => i + 1);
    const s = summarize(samples);
    assert.ok(s);
    assert.equal(s.p50, 50.5);
    assert.ok(Math.abs(s.p99 - 99.01) < 1e-9);
  });

  it('is null without samples and refuses non-finite ones', () => {
    assert.equal(summarize([]), null);
    assert.throws(() => summarize([1, Number.POSITIVE_INFINITY]), RangeError);
  });
});

describe('ratio', () => {
  it('divides, or is null when a side is missing or the denominator is not positive', () => {
    assert.equal(ratio(3, 2), 1.5);
    assert.equal(ratio(null, 2), null);
    assert.equal(ratio(3, undefined), null);
    assert.equal(ratio(3, 0), null);
  });
});
