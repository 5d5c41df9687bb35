import { describe, it } from 'node:test';
import * as assert from 'node:assert/strict';
import type { CgroupLayout } from '../../sandbox/cgroup/cgroup-layout.js';
import type { ResourceSample } from '../events.js';
import { ResourceSampler } from './resource-sampler.js';
import { V1_LAYOUT, V2_LAYOUT, fakeCgroupFs } from './fixtures/cgroup-fixtures.js';

function setup(layout: CgroupLayout = V1_LAYOUT) {
  const fs = fakeCgroupFs(layout);
  const clock = { t: 1_000_000 };
  const samples: ResourceSample[] = [];
  const errors: [unknown, string | null][] = [];
  const sampler = new ResourceSampler({
    layout,
    emit: (e) => samples.push(e),
    now: () => clock.t,
    readFile: fs.readFile,
    onError: (err, id) => errors.push([err, id]),
  });
  return { fs, clock, samples, errors, sampler };
}

const idle = { stepRunning: () => false, steps: () => [] };

describe('ResourceSampler', () => {
  for (const [name, layout] of [
    ['v1', V1_LAYOUT],
    ['v2', V2_LAYOUT],
  ] as const) {
    it(`emits nothing on the first reading, then cores over the elapsed interval (${name})`, async () => {
      const { fs, clock, samples, sampler } = setup(layout);
      fs.set('sb-1', null, { cpuSeconds: 10, memoryBytes: 100, pids: 2 });
      sampler.watch('sb-1', idle);
      await sampler.sampleOnce();
      assert.equal(samples.length, 0);
      clock.t += 2000;
      fs.set('sb-1', null, { cpuSeconds: 13, memoryBytes: 200, pids: 4 });
      await sampler.sampleOnce();
      assert.deepEqual(samples, [
        {
          kind: 'resource-sample',
          time: clock.t,
          sandboxId: 'sb-1',
          step: null,
          scope: 'sandbox',
          cpuSeconds: 13,
          cpuCores: 1.5,
          intervalMs: 2000,
          memoryBytes: 200,
          pids: 4,
          stepRunning: null,
        },
      ]);
    });
  }

  it('samples each listed step from its own baseline and says whether its exec still runs', async () => {
    const { fs, clock, samples, sampler } = setup();
    const steps = [1];
    sampler.watch('sb-1', { stepRunning: (s) => s === 2, steps: () => steps });
    fs.set('sb-1', null, { cpuSeconds: 0, memoryBytes: 0, pids: 1 });
    fs.set('sb-1', 'step-1', { cpuSeconds: 0, memoryBytes: 0, pids: 1 });
    fs.set('sb-1', 'step-2', { cpuSeconds: 5, memoryBytes: 0, pids: 1 });
    await sampler.sampleOnce();
    clock.t += 1000;
    steps.push(2); // step 2 starts being listed: its first reading is only a baseline
    fs.set('sb-1', 'step-1', { cpuSeconds: 0.5, memoryBytes: 0, pids: 1 });
    await sampler.sampleOnce();
    assert.deepEqual(
      samples.map((s) => [s.scope, s.step, s.cpuCores, s.stepRunning]),
      [
        ['sandbox', null, 0, null],
        ['step', 1, 0.5, false],
      ],
    );
    samples.length = 0;
    clock.t += 500;
    fs.set('sb-1', 'step-2', { cpuSeconds: 6, memoryBytes: 0, pids: 9 });
    await sampler.sampleOnce();
    const step2 = samples.find((s) => s.step === 2);
    assert.deepEqual([step2?.cpuCores, step2?.intervalMs, step2?.pids, step2?.stepRunning], [2, 500, 9, true]);
  });

  it('drops a scope whose cgroup is gone and restarts its baseline when it comes back', async () => {
    const { fs, clock, samples, sampler, errors } = setup();
    sampler.watch('sb-1', { stepRunning: () => false, steps: () => [1] });
    fs.set('sb-1', null, { cpuSeconds: 1, memoryBytes: 0, pids: 0 });
    fs.set('sb-1', 'step-1', { cpuSeconds: 1, memoryBytes: 0, pids: 0 });
    await sampler.sampleOnce();
    fs.remove('sb-1', 'step-1');
    clock.t += 1000;
    await sampler.sampleOnce();
    assert.deepEqual(samples.map((s) => s.scope), ['sandbox']);
    fs.set('sb-1', 'step-1', { cpuSeconds: 0, memoryBytes: 0, pids: 0 });
    clock.t += 1000;
    await sampler.sampleOnce();
    assert.deepEqual(samples.map((s) => s.scope), ['sandbox', 'sandbox']);
    assert.deepEqual(errors, []);
  });

  it('ignores a reading no newer than its baseline rather than emit a negative interval', async () => {
    const { fs, clock, samples, sampler } = setup();
    fs.set('sb-1', null, { cpuSeconds: 1, memoryBytes: 0, pids: 0 });
    sampler.watch('sb-1', idle);
    await sampler.sampleOnce();
    clock.t -= 10; // a pass that read earlier but finished later
    await sampler.sampleOnce();
    assert.equal(samples.length, 0);
    clock.t += 1010;
    fs.set('sb-1', null, { cpuSeconds: 2, memoryBytes: 0, pids: 0 });
    await sampler.sampleOnce();
    assert.deepEqual(samples.map((s) => [s.intervalMs, s.cpuCores]), [[1000, 1]]);
  });

  it('keeps sampling the others when one sandbox fails, and reports it', async () => {
    const { fs, clock, samples, sampler, errors } = setup();
    for (const id of ['sb-a', 'sb-b']) fs.set(id, null, { cpuSeconds: 0, memoryBytes: 0, pids: 0 });
    sampler.watch('sb-a', { stepRunning: () => false, steps: () => { throw new Error('step table broken'); } });
    sampler.watch('sb-b', idle);
    await sampler.sampleOnce();
    clock.t += 1000;
    await sampler.sampleOnce();
    assert.deepEqual(samples.map((s) => s.sandboxId), ['sb-b']);
    assert.equal(errors.length, 2);
    assert.equal(errors[0]?.[1], 'sb-a');
  });

  it('stops sampling a sandbox once unwatched, and emits in watch order', async () => {
    const { fs, clock, samples, sampler } = setup();
    const unwatch: (() => void)[] = [];
    for (let i = 0; i < 20; i++) {
      fs.set(`sb-${i}`, null, { cpuSeconds: 0, memoryBytes: 0, pids: 0 });
      unwatch.push(sampler.watch(`sb-${i}`, idle));
    }
    await sampler.sampleOnce();
    unwatch[3]?.();
    clock.t += 1000;
    await sampler.sampleOnce();
    assert.deepEqual(
      samples.map((s) => s.sandboxId),
      Array.from({ length: 20 }, (_, i) => `sb-${i}`).filter((id) => id !== 'sb-3'),
    );
  });

  it('reads three small files per scope and nothing else', async () => {
    const { fs, sampler } = setup();
    fs.set('sb-1', null, { cpuSeconds: 0, memoryBytes: 0, pids: 0 });
    fs.set('sb-1', 'step-4', { cpuSeconds: 0, memoryBytes: 0, pids: 0 });
    sampler.watch('sb-1', { stepRunning: () => true, steps: () => [4] });
    await sampler.sampleOnce();
    assert.equal(fs.reads.length, 6);
  });

  it('samples on its timer until stopped', async () => {
    const fs = fakeCgroupFs(V1_LAYOUT);
    fs.set('sb-1', null, { cpuSeconds: 0, memoryBytes: 0, pids: 0 });
    const samples: ResourceSample[] = [];
    const sampler = new ResourceSampler({ layout: V1_LAYOUT, intervalMs: 5, emit: (e) => samples.push(e), readFile: fs.readFile });
    sampler.watch('sb-1', idle);
    sampler.start();
    await new Promise((r) => setTimeout(r, 60));
    sampler.stop();
    const seen = samples.length;
    assert.ok(seen >= 1, `expected samples, got ${seen}`);
    await new Promise((r) => setTimeout(r, 30));
    assert.equal(samples.length, seen);
  });
});
