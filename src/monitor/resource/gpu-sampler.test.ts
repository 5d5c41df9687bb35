import { describe, it } from 'node:test';
import * as assert from 'node:assert/strict';
import { GpuSampler, type RawGpuSample } from './gpu-sampler.js';
import { ComputeAppsStream, TableStream, deviceUses, processUses, type TableFrame } from './gpu-streams.js';
import { gpuSecondsOf } from './gpu-accounting.js';
import { PMON_R470, PMON_R535, PMON_R550, PMON_UNSUPPORTED, UUID_0 } from './fixtures/nvidia-smi-fixtures.js';
import { loadRecording, replay } from '../../bench/gpu-replay.js';

const MIB = 2 ** 20;

function frames(text: string): TableFrame[] {
  const s = new TableStream();
  return [...text.split('\n').flatMap((l) => s.push(l)), ...s.flush()];
}

describe('nvidia-smi loop streams', () => {
  it('reads pmon by column name across driver generations', () => {
    const r535 = processUses(frames(PMON_R535)[0] ?? { key: '', rows: [] });
    assert.equal(r535.length, 4);
    assert.deepEqual(r535[1], { gpuIndex: 1, pid: 48377, smPercent: 88, fbMiB: 1024, command: 'xmrig' });
    assert.deepEqual(r535[2], { gpuIndex: 1, pid: 51002, smPercent: null, fbMiB: 210, command: 'nvidia-cuda-mps' });
    assert.deepEqual(processUses(frames(PMON_R470)[0] ?? { key: '', rows: [] }), [
      { gpuIndex: 0, pid: 48211, smPercent: 87, fbMiB: 30512, command: 'python3' },
    ]);
    // R550's ccpm column after fb, and a command with a space in it.
    assert.deepEqual(processUses(frames(PMON_R550)[0] ?? { key: '', rows: [] })[1], { gpuIndex: 1, pid: 48377, smPercent: 71, fbMiB: 1024, command: 'my miner' });
  });

  it('reads nothing from an error message or a header alone', () => {
    assert.deepEqual(frames(PMON_UNSUPPORTED), []);
    assert.deepEqual(frames(PMON_R470.split('\n').slice(0, 2).join('\n')), []);
  });

  it('groups rows into one frame per interval by their time', () => {
    const text = loadRecording('training').pmon.slice(0, 8).join('\n');
    const f = frames(text);
    assert.deepEqual(f.map((x) => [x.key, x.rows.length]), [
      ['13:20:00', 2],
      ['13:20:01', 2],
      ['13:20:02', 2],
    ]);
  });

  it('reads power, utilisation and PCIe traffic per GPU from dmon', () => {
    const [first] = frames(loadRecording('training').dmon.slice(0, 4).join('\n'));
    const uses = deviceUses(first ?? { key: '', rows: [] });
    assert.equal(uses.length, 2);
    assert.deepEqual(Object.keys(uses[0] ?? {}).sort(), ['fbMiB', 'gpuIndex', 'memPercent', 'pcieMBps', 'powerWatts', 'smPercent']);
    assert.ok((uses[0]?.powerWatts ?? 0) > 100 && (uses[0]?.pcieMBps ?? 0) > 0, JSON.stringify(uses[0]));
  });

  it('groups the compute-apps loop by its timestamp', () => {
    const s = new ComputeAppsStream();
    const lines = [
      `2026/12/03 14:03:21.045, 48211, ${UUID_0}, 30512`,
      `2026/12/03 14:03:21.045, 48377, ${UUID_0}, [N/A]`,
      `2026/12/03 14:03:22.046, 48211, ${UUID_0}, 30514`,
    ];
    const out = [...lines.flatMap((l) => s.push(l)), ...s.flush()];
    assert.deepEqual(out.map((f) => f.rows.length), [2, 1]);
    assert.equal(out[0]?.rows[1]?.used_memory, '[N/A]');
  });
});

/** Replays a recording through a sampler whose sandboxed pids are `owners`; resolves to what it emitted. */
async function replayed(name: string, owners: Map<number, { sandboxId: string; step: number | null }>): Promise<{ samples: RawGpuSample[]; sampler: GpuSampler }> {
  const r = replay(loadRecording(name));
  const samples: RawGpuSample[] = [];
  const sampler = new GpuSampler({ exec: r.exec, spawnStream: r.spawnStream, emit: (e) => samples.push(e), pidToSandbox: (pid) => Promise.resolve(owners.get(pid) ?? null) });
  await sampler.start();
  await r.finished;
  await sampler.settle();
  sampler.stop();
  return { samples, sampler };
}

describe('GpuSampler (recorded replay)', () => {
  it('emits one sample per sandboxed process per second, with the GPU power and PCIe traffic joined', async () => {
    const { samples } = await replayed('training', new Map([[21877, { sandboxId: 'sb-train', step: 1 }]]));
    assert.equal(samples.length, 90, 'rank 0 for 90 s; rank 1 is not sandboxed here and is left out');
    const s = samples[30];
    assert.ok(s);
    assert.equal(s.gpuIndex, 0);
    assert.equal(s.gpuUuid, 'GPU-4b0f6c1e-93a2-4d7e-b5c8-1f2e3d4c5b6a');
    assert.equal(s.intervalMs, 1000);
    assert.ok(s.memoryBytes !== null && s.memoryBytes > 60_000 * MIB);
    assert.ok(s.gpuPowerWatts !== null && s.pcieMBps !== null, 'dmon joined');
  });

  it('keeps GPU-seconds totals that are the sum of what it emitted', async () => {
    const { samples, sampler } = await replayed(
      'training',
      new Map([
        [21877, { sandboxId: 'sb-train', step: 1 }],
        [21878, { sandboxId: 'sb-train', step: 2 }],
      ]),
    );
    const byGpu = [0, 1].map((g) => samples.filter((s) => s.gpuIndex === g).reduce((a, s) => a + gpuSecondsOf(s), 0));
    assert.deepEqual([...sampler.totals().entries()].sort(), [[0, byGpu[0]], [1, byGpu[1]]]);
    assert.ok((byGpu[0] ?? 0) > 60 && (byGpu[0] ?? 0) < 90, `about 80 GPU-seconds in 90 s of training: ${byGpu[0]}`);
  });

  it('is unavailable where nvidia-smi is missing', async () => {
    const sampler = new GpuSampler({
      exec: () => Promise.reject(Object.assign(new Error('spawn nvidia-smi ENOENT'), { code: 'ENOENT' })),
      emit: () => undefined,
      pidToSandbox: () => Promise.resolve(null),
    });
    assert.equal(await sampler.available(), false);
    await assert.rejects(sampler.start(), /ENOENT/);
  });

  it('is unavailable where nvidia-smi lists no GPU', async () => {
    const sampler = new GpuSampler({ exec: () => Promise.resolve('No devices were found\n'), emit: () => undefined, pidToSandbox: () => Promise.resolve(null) });
    assert.equal(await sampler.available(), false);
    await assert.rejects(sampler.start(), /no GPU/);
  });

  it('reports its death once, naming the sandboxes that hold GPUs, after the samples it had read', async () => {
    const r = replay(loadRecording('miner'), 5);
    const order: string[] = [];
    const sampler = new GpuSampler({
      exec: r.exec,
      spawnStream: r.spawnStream,
      emit: () => order.push('sample'),
      pidToSandbox: () => Promise.resolve({ sandboxId: 'sb-gpu', step: 1 }),
      grantedSandboxes: () => ['sb-gpu'],
    });
    const failures: { monitor: string; sandboxIds: readonly string[] | null; reason: string }[] = [];
    sampler.onFailure((f) => {
      order.push('failure');
      failures.push(f);
    });
    await sampler.start();
    await new Promise((resolve) => setTimeout(resolve, 60));
    r.kill('pmon');
    r.kill('dmon');
    await sampler.settle();
    assert.equal(failures.length, 1);
    assert.deepEqual(failures[0]?.sandboxIds, ['sb-gpu']);
    assert.equal(failures[0]?.monitor, 'gpu-sampler');
    assert.match(failures[0]?.reason ?? '', /nvidia-smi pmon exited/);
    assert.ok(order.includes('sample') && order.at(-1) === 'failure', order.join(','));
  });

  it('reports a failed pid lookup and samples the other processes', async () => {
    const r = replay(loadRecording('training'));
    const pids: number[] = [];
    const errors: unknown[] = [];
    const sampler = new GpuSampler({
      exec: r.exec,
      spawnStream: r.spawnStream,
      emit: (e) => pids.push(e.pid),
      pidToSandbox: (pid) => (pid === 21877 ? Promise.reject(new Error('proc gone')) : Promise.resolve({ sandboxId: 'sb', step: 1 })),
      onError: (err) => errors.push(err),
    });
    await sampler.start();
    await r.finished;
    await sampler.settle();
    sampler.stop();
    assert.deepEqual([...new Set(pids)], [21878]);
    assert.equal(errors.length, 90);
  });
});
