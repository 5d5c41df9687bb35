import * as assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MIN_REPORTED_WALL_MS, stepUsageEvent } from './step-usage.js';

const at = { sandboxId: 'sb-1', step: 2, time: 1_700_000_000_000 };
const cpu = (cpuSeconds: number, userSeconds: number, peak: number | null = 1e7) => ({ cpuSeconds, userSeconds, systemSeconds: cpuSeconds - userSeconds, peakMemoryBytes: peak });

describe('step usage', () => {
  it('a step that used half a core and waited the other half wanted a whole one', () => {
    const e = stepUsageEvent(at, 10_000, cpu(0, 0), cpu(5, 4.95), 4.8e9, 3);
    assert.ok(e);
    assert.equal(e.cores, 0.5);
    assert.equal(e.demandCores, 0.98);
    assert.equal(e.userShare, 0.99);
    assert.equal(e.execs, 3);
    assert.equal(e.peakMemoryBytes, 1e7);
  });

  it('counts from the reading at the step start; a brief step is not reported', () => {
    const e = stepUsageEvent(at, 4000, cpu(1, 0.5), cpu(3, 2.5), 0, 1);
    assert.equal(e?.cpuSeconds, 2);
    assert.equal(e?.userShare, 1);
    assert.equal(stepUsageEvent(at, MIN_REPORTED_WALL_MS - 1, null, cpu(1, 1), 0, 1), null);
  });
});
