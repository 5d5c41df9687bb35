import * as assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { sandboxDirs } from '../sandbox/cgroup/cgroup-layout.js';
import { MIN_REPORTED_WALL_MS, StepUsage, stepUsageEvent } from './step-usage.js';

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

  it('a long step is still read at its end and reported from zero; a brief one is not read at all', async () => {
    // a v2 tree in a temp dir stands in for cgroupfs: the step's leaf with its counters
    const root = mkdtempSync(join(tmpdir(), 'step-usage-'));
    try {
      const layout = { kind: 'v2' as const, root };
      const leaf = (step: number): string => join(sandboxDirs(layout, 'sb-1').v2 ?? '', `step-${step}`);
      for (const step of [1, 2]) {
        mkdirSync(leaf(step), { recursive: true });
        writeFileSync(join(leaf(step), 'cpu.stat'), 'usage_usec 3000000\nuser_usec 2900000\nsystem_usec 100000\n');
        writeFileSync(join(leaf(step), 'memory.peak'), '52428800\n');
      }
      const usage = new StepUsage({ sandboxId: 'sb-1', layout });
      const t0 = 1_700_000_000_000;
      await usage.began(1, t0);
      const long = await usage.ended(1, t0 + 4000);
      assert.equal(long?.cpuSeconds, 3);
      assert.equal(long?.cores, 0.75);
      assert.equal(long?.peakMemoryBytes, 52428800);
      // a brief step gives null (its leaf is not read: here it is gone, and that is no error either)
      await usage.began(2, t0);
      rmSync(leaf(2), { recursive: true });
      assert.equal(await usage.ended(2, t0 + MIN_REPORTED_WALL_MS - 1), null);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});

