// GPU accounting from the sampler to the store and the export, on recorded nvidia-smi output
// (recordings/gpu/training.txt: two ranks on two GPUs for 90 s) replayed through the real sampler
// and guard: the GPU-seconds of the stored steps add up to the sampler's totals, the episode's
// total includes the use of processes outside any step, and peak memory is per interval.
import * as assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { grantOf, runGpuReplay } from '../testing/gpu-world.js';
import { exportLineValidator } from '../testing/export-validator.js';
import { gpuOfEpisode, gpuOfSteps } from './episode-gpu.js';
import { makeEpisode, messageStep, toolStep } from './episode-fixtures.js';
import { exportEpisodesJsonl } from './export.js';
import { openEpisodeStore } from './store/open-store.js';
import type { StepLabel } from './chat-format.js';

const RANK0 = 21877;
const RANK1 = 21878;
const sum = (xs: readonly number[]): number => xs.reduce((a, b) => a + b, 0);

/** Replays training with each rank where `stepOf` puts it, and stores an episode of three steps from it. */
async function episodeOf(stepOf: (pid: number) => number | null) {
  const run = await runGpuReplay('training', grantOf('training', [0, 1]), { stepOf });
  const totals = sum([...run.sampler.totals().values()]);
  const store = openEpisodeStore('sqlite::memory:');
  store.createEpisode(makeEpisode());
  const calls = [[1], [2], []];
  for (const [i, sandboxSteps] of calls.entries()) {
    const gpu = gpuOfSteps(run.usage, sandboxSteps, true);
    const step = i < 2 ? toolStep('ep-1', i + 1, { sandboxSteps, ...(gpu ? { gpu } : {}) }) : messageStep('ep-1', i + 1, 'done', gpu ? { gpu } : {});
    await store.appendStep(step);
  }
  const episodeGpu = gpuOfEpisode(run.usage, true);
  store.finishEpisode('ep-1', 'completed', null, episodeGpu ? { gpu: episodeGpu } : {});
  return { run, totals, store };
}

describe('GPU use per step and per episode (recorded training run)', () => {
  it("one rank a step: the stored steps' GPU-seconds add up to the sampler's totals, and so does the episode's", async () => {
    const { run, totals, store } = await episodeOf((pid) => (pid === RANK0 ? 1 : 2));
    try {
      const steps = store.steps('ep-1');
      const seconds = steps.map((s) => s.gpu?.gpuSeconds ?? 0);
      assert.ok(totals > 100, `two ranks for 90 s: ${totals}`);
      assert.ok(seconds[0] !== undefined && seconds[0] > 40 && seconds[1] !== undefined && seconds[1] > 40, seconds.join(', '));
      assert.deepEqual(steps[2]?.gpu, { gpuSeconds: 0, peakMemoryBytes: 0 }, 'a message step of a granted sandbox used nothing');
      assert.ok(Math.abs(sum(seconds) - totals) < 1e-9, `${sum(seconds)} vs ${totals}`);
      const episode = store.getEpisode('ep-1');
      assert.ok(Math.abs((episode?.gpu?.gpuSeconds ?? 0) - totals) < 1e-9);
      // the ranks run at once: the episode's peak is both ranks in one interval, more than either step's
      const stepPeaks = steps.map((s) => s.gpu?.peakMemoryBytes ?? 0);
      assert.ok((episode?.gpu?.peakMemoryBytes ?? 0) > Math.max(...stepPeaks) * 1.5, `${episode?.gpu?.peakMemoryBytes} vs ${stepPeaks.join(', ')}`);
      assert.equal(episode?.gpu?.peakMemoryBytes, run.usage?.total.peakMemoryBytes);
    } finally {
      store.close();
    }
  });

  it('a rank outside any step is charged to the episode, not to a stored step', async () => {
    const { run, totals, store } = await episodeOf((pid) => (pid === RANK0 ? 1 : null));
    try {
      const stored = sum(store.steps('ep-1').map((s) => s.gpu?.gpuSeconds ?? 0));
      const outside = run.usage?.steps.get(null)?.gpuSeconds ?? 0;
      assert.ok(outside > 40, `rank 1 ran 90 s: ${outside}`);
      assert.ok(Math.abs(stored + outside - totals) < 1e-9, `${stored} + ${outside} vs ${totals}`);
      assert.ok(Math.abs((store.getEpisode('ep-1')?.gpu?.gpuSeconds ?? 0) - totals) < 1e-9);
      assert.equal(store.steps('ep-1')[1]?.gpu?.gpuSeconds, 0, 'exec step 2 never used a GPU');
    } finally {
      store.close();
    }
  });

  it('the export carries GPU use per step and per episode, and its lines match the JSON Schema', async () => {
    const { totals, store } = await episodeOf((pid) => (pid === RANK1 ? 2 : 1));
    try {
      const line = JSON.parse(exportEpisodesJsonl(store).trim()) as { metadata: { gpu?: { gpu_seconds: number }; per_step_labels: StepLabel[] } };
      assert.deepEqual(exportLineValidator()(line), []);
      assert.ok(Math.abs((line.metadata.gpu?.gpu_seconds ?? 0) - totals) < 1e-9);
      assert.ok(Math.abs(sum(line.metadata.per_step_labels.map((l) => l.gpu?.gpu_seconds ?? 0)) - totals) < 1e-9);
    } finally {
      store.close();
    }
  });

  it('records nothing for a sandbox without a grant that used no GPU', () => {
    const empty = { steps: new Map(), total: { gpuSeconds: 0, peakMemoryBytes: 0, heldSeconds: 0 } };
    assert.equal(gpuOfSteps(empty, [1], false), undefined);
    assert.equal(gpuOfEpisode(empty, false), undefined);
    assert.equal(gpuOfEpisode(null, true), undefined);
    assert.deepEqual(gpuOfEpisode(empty, true), { gpuSeconds: 0, peakMemoryBytes: 0 });
  });
});
