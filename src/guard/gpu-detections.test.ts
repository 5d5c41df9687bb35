// The GPU detections end to end on recorded nvidia-smi output: each recording replayed through the
// real sampler (streams, profile) into a real Guard (grant, step state, mining join, accounting,
// rules, blindness), by src/testing/gpu-world.ts.
import { describe, it } from 'node:test';
import * as assert from 'node:assert/strict';
import type { GpuGrant } from '../sandbox/gpu/gpu-allocator.js';
import { grantOf, runGpuReplay, type GpuRun, type GpuRunOptions } from '../testing/gpu-world.js';
import { MiningSignals } from './mining-signals.js';
import type { Alert } from '../detect/alert.js';

function run(recording: string, grant: GpuGrant | null, stepDone: boolean, pace = 0, during?: GpuRunOptions['during']): Promise<GpuRun> {
  return runGpuReplay(recording, grant, { stepDone, pace, ...(during ? { during } : {}) });
}

const ids = (alerts: readonly Alert[]): string[] => [...new Set(alerts.map((a) => a.ruleId))].sort();

describe('GPU detections on recordings', () => {
  it('training and inference on their granted GPUs raise nothing', async () => {
    assert.deepEqual(ids((await run('training', grantOf('training', [0, 1]), false)).alerts), []);
    assert.deepEqual(ids((await run('inference', grantOf('inference', [0]), false)).alerts), []);
  });

  it('a renamed GPU miner on its granted GPU is caught by its hashing profile, once, naming the GPU', async () => {
    const { alerts } = await run('miner', grantOf('miner', [0]), false);
    assert.deepEqual(ids(alerts), ['gpu-hashing-profile']);
    assert.equal(alerts.length, 1);
    const trigger = alerts[0]?.evidence.at(-1);
    assert.ok(trigger?.kind === 'gpu-sample' && trigger.gpuIndex === 0 && trigger.gpuUuid?.startsWith('GPU-1a2b3c4d'));
    assert.equal(alerts[0]?.pid, 41233);
  });

  it('GPU use by a sandbox that holds no grant is flagged on its first sample', async () => {
    const { alerts } = await run('inference', null, false);
    assert.ok(ids(alerts).includes('gpu-without-grant'));
    const first = alerts.find((a) => a.ruleId === 'gpu-without-grant');
    assert.equal(first?.latencyMs !== undefined && first.evidence.length, 1);
  });

  it('a GPU job left running after its step is diverted; the same job while its step runs is not', async () => {
    assert.deepEqual(ids((await run('diverted', grantOf('diverted', [0]), true)).alerts), ['gpu-diverted']);
    assert.deepEqual(ids((await run('diverted', grantOf('diverted', [0]), false)).alerts), []);
    assert.deepEqual(ids((await run('training', grantOf('training', [0, 1]), true)).alerts), ['gpu-diverted'], 'training left behind is diverted too');
  });

  it("GPU-seconds per step add up to the sampler's totals", async () => {
    const { guard, sampler, sandboxId } = await run('training', grantOf('training', [0, 1]), false);
    const usage = guard.gpuUsage(sandboxId);
    const totals = [...sampler.totals().values()].reduce((a, b) => a + b, 0);
    const steps = [...(usage?.steps.values() ?? [])].reduce((a, u) => a + u.gpuSeconds, 0);
    assert.ok(totals > 100, `two ranks for 90 s: ${totals}`);
    assert.ok(Math.abs(steps - totals) < 1e-9, `${steps} vs ${totals}`);
    assert.equal(usage?.total.gpuSeconds, steps);
    // both ranks run in step 1 at once: its peak is their sum in one interval
    assert.ok((usage?.steps.get(1)?.peakMemoryBytes ?? 0) > 120_000 * 2 ** 20);
  });

  it('a dead sampler blinds the guard for the sandbox holding GPUs: held, and an alert', async () => {
    const { alerts } = await run('miner', grantOf('miner', [0]), false, 2, async (r) => {
      await new Promise((resolve) => setTimeout(resolve, 30));
      r.kill('pmon');
      await new Promise((resolve) => setTimeout(resolve, 50));
    });
    assert.ok(ids(alerts).includes('guard-blind'), ids(alerts).join(','));
  });
});

describe('MiningSignals', () => {
  const alert = (ruleId: string, pid: number | null, step: number | null): Alert =>
    ({ id: `${ruleId}:1`, ruleId, pid, step, title: '', technique: 'T1496', severity: 'critical', time: 0, sandboxId: 'sb', argv: null, evidence: [], latencyMs: 0, description: '' });

  it('joins a GPU process to the mining alerts of the same process, else of its step', () => {
    const m = new MiningSignals();
    m.note(alert('miner-binary', 41233, 3));
    m.note(alert('stratum-protocol', 41233, 3));
    m.note(alert('ssh-reverse-tunnel', 41233, 3));
    assert.equal(m.evidenceFor(41233, 3), 'miner-binary (pid 41233), stratum-protocol (pid 41233)');
    assert.equal(m.evidenceFor(5000, 3), 'miner-binary (pid 41233), stratum-protocol (pid 41233)');
    assert.equal(m.evidenceFor(5000, 4), null);
  });
});
