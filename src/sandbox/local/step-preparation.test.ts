// How many steps a sandbox prepares ahead (cgroup leaf and firewall rule) at each refill.
import { describe, it } from 'node:test';
import * as assert from 'node:assert/strict';
import { STEP_PREALLOCATION, refillSize } from './step-leaves.js';

describe('refillSize', () => {
  it('doubles what is prepared, from the preallocation up to 64 a refill', () => {
    let prepared = STEP_PREALLOCATION;
    const sizes: number[] = [];
    while (prepared < 300) {
      const n = refillSize(prepared);
      sizes.push(n);
      prepared += n;
    }
    assert.deepEqual(sizes, [8, 16, 32, 64, 64, 64, 64]);
    // 25 steps take two refills after the first 8, 100 steps four
    assert.equal(refillSize(8) + refillSize(16) + 8, 32);
  });
});
