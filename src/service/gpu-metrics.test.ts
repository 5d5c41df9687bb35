// /metrics' GPU series fed by the guard's gpu-sample events (guard-feed.ts), on a recorded
// nvidia-smi training run replayed through the real sampler and guard: the GPU-seconds counters
// add up to the sampler's totals per GPU, and the memory gauges hold the frame sums.
import * as assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { grantOf, runGpuReplay } from '../testing/gpu-world.js';
import { EventHub } from './event-hub.js';
import { startGuardFeed } from './guard-feed.js';
import { ServiceMetrics } from './service-metrics.js';

function series(text: string, name: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    const m = new RegExp(`^${name}\\{([^}]*)\\} (\\S+)$`).exec(line);
    if (m?.[1] !== undefined && m[2] !== undefined) out.set(m[1], Number(m[2]));
  }
  return out;
}

describe('GPU metrics', () => {
  it("praetor_gpu_seconds_total per GPU adds up to the sampler's totals; memory gauges hold the frame sums", async () => {
    const metrics = new ServiceMetrics({ sandboxesAlive: () => 0, poolSize: () => 0, guardHelperPids: () => [] });
    let stop: () => void = () => undefined;
    const run = await runGpuReplay('training', grantOf('training', [0]), {
      withGuard: (guard) => (stop = startGuardFeed({ guard, hub: new EventHub(), metrics, episodeOf: () => undefined })),
    });
    stop();
    const text = await metrics.text();
    const seconds = series(text, 'praetor_gpu_seconds_total');
    const totals = run.sampler.totals();
    assert.ok(Math.abs((seconds.get('gpu="0",granted="true"') ?? 0) - (totals.get(0) ?? -1)) < 1e-6, text);
    assert.ok(Math.abs((seconds.get('gpu="1",granted="false"') ?? 0) - (totals.get(1) ?? -1)) < 1e-6, 'GPU 1 is not granted');
    const peak = series(text, 'praetor_gpu_memory_peak_bytes').get('gpu="0"') ?? 0;
    const now = series(text, 'praetor_gpu_memory_bytes').get('gpu="0"') ?? 0;
    assert.ok(now > 0 && peak >= now, `${now} <= ${peak}`);
    // one rank a GPU: GPU 0's peak is its rank's, not two frames summed
    assert.ok(peak < 81_559 * 2 ** 20, `${peak} fits one H100's memory`);
  });
});
