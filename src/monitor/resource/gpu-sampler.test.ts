import { describe, it } from 'node:test';
import * as assert from 'node:assert/strict';
import type { GpuSample } from '../events.js';
import { type Exec, GpuSampler, mergeGpuUse, parseComputeApps, parseGpuList, parsePmon } from './gpu-sampler.js';
import {
  COMPUTE_APPS,
  COMPUTE_APPS_NONE,
  GPU_LIST,
  PMON_R470,
  PMON_R535,
  PMON_R550,
  PMON_UNSUPPORTED,
  UUID_0,
  UUID_1,
} from './fixtures/nvidia-smi-fixtures.js';

const MIB = 1024 * 1024;

/** A fake nvidia-smi answering by its first argument. */
function fakeSmi(answers: { list?: string; apps?: string | Error; pmon?: string | Error }): Exec & { calls: string[][] } {
  const calls: string[][] = [];
  const exec = (cmd: string, args: string[]): Promise<string> => {
    calls.push([cmd, ...args]);
    const a = args[0] ?? '';
    const answer = a === 'pmon' ? answers.pmon : a.startsWith('--query-gpu') ? answers.list : answers.apps;
    if (answer === undefined) return Promise.reject(Object.assign(new Error('spawn nvidia-smi ENOENT'), { code: 'ENOENT' }));
    return answer instanceof Error ? Promise.reject(answer) : Promise.resolve(answer);
  };
  return Object.assign(exec, { calls });
}

describe('nvidia-smi parsers', () => {
  it('maps GPU uuids to indexes', () => {
    assert.deepEqual(parseGpuList(GPU_LIST), new Map([[UUID_0, 0], [UUID_1, 1]]));
    assert.equal(parseGpuList('No devices were found\n').size, 0);
  });

  it('reads compute apps, [N/A] memory as null', () => {
    assert.deepEqual(parseComputeApps(COMPUTE_APPS), [
      { pid: 48211, gpuUuid: UUID_0, usedMemoryMiB: 30512 },
      { pid: 48377, gpuUuid: UUID_1, usedMemoryMiB: 1024 },
      { pid: 51002, gpuUuid: UUID_1, usedMemoryMiB: null },
    ]);
    assert.deepEqual(parseComputeApps(COMPUTE_APPS_NONE), []);
  });

  it('reads pmon by column name across driver generations', () => {
    const r535 = parsePmon(PMON_R535);
    assert.equal(r535.length, 4);
    assert.deepEqual(r535[1], { gpuIndex: 1, pid: 48377, type: 'C', sm: 88, mem: 12, fbMiB: 1024, command: 'xmrig' });
    assert.deepEqual(r535[2], { gpuIndex: 1, pid: 51002, type: 'C', sm: null, mem: null, fbMiB: 210, command: 'nvidia-cuda-mps' });
    assert.deepEqual(parsePmon(PMON_R470), [
      { gpuIndex: 0, pid: 48211, type: 'C', sm: 87, mem: 45, fbMiB: 30512, command: 'python3' },
    ]);
    assert.deepEqual(parsePmon(PMON_R550)[1], {
      gpuIndex: 1,
      pid: 48377,
      type: 'C+G',
      sm: 71,
      mem: 9,
      fbMiB: 1024,
      command: 'my miner',
    });
  });

  it('reads nothing from an error message or a header alone', () => {
    assert.deepEqual(parsePmon(PMON_UNSUPPORTED), []);
    assert.deepEqual(parsePmon(PMON_R470.split('\n').slice(0, 2).join('\n')), []);
  });

  it('joins utilization and memory per GPU and process', () => {
    const uses = mergeGpuUse(parseGpuList(GPU_LIST), parseComputeApps(COMPUTE_APPS), parsePmon(PMON_R470));
    assert.deepEqual(uses, [
      { pid: 48211, gpuIndex: 0, utilizationPercent: 87, memoryBytes: 30512 * MIB },
      { pid: 48377, gpuIndex: 1, utilizationPercent: null, memoryBytes: 1024 * MIB },
      { pid: 51002, gpuIndex: 1, utilizationPercent: null, memoryBytes: null },
    ]);
  });
});

describe('GpuSampler', () => {
  const owners = new Map([
    [48211, { sandboxId: 'sb-train', step: 2, granted: true }],
    [48377, { sandboxId: 'sb-agent', step: 5, granted: false }],
  ]);
  const pidToSandbox = (pid: number) => Promise.resolve(owners.get(pid) ?? null);

  it('is unavailable, and starts nothing, where nvidia-smi is missing', async () => {
    const exec = fakeSmi({});
    const samples: GpuSample[] = [];
    const sampler = new GpuSampler({ exec, emit: (e) => samples.push(e), pidToSandbox, intervalMs: 1 });
    assert.equal(await sampler.available(), false);
    assert.equal(await sampler.start(), false);
    await new Promise((r) => setTimeout(r, 20));
    sampler.stop();
    assert.deepEqual(samples, []);
    assert.equal(exec.calls.length, 2, 'only the two availability probes ran');
  });

  it('is unavailable where nvidia-smi lists no GPU', async () => {
    const sampler = new GpuSampler({ exec: fakeSmi({ list: '' }), emit: () => undefined, pidToSandbox });
    assert.equal(await sampler.available(), false);
  });

  it('emits one sample per sandboxed process, with its step and whether a GPU was granted', async () => {
    const samples: GpuSample[] = [];
    const exec = fakeSmi({ list: GPU_LIST, apps: COMPUTE_APPS, pmon: PMON_R535 });
    const sampler = new GpuSampler({ exec, emit: (e) => samples.push(e), pidToSandbox, now: () => 42 });
    assert.equal(await sampler.available(), true);
    await sampler.sampleOnce();
    assert.deepEqual(samples, [
      {
        kind: 'gpu-sample',
        time: 42,
        sandboxId: 'sb-train',
        step: 2,
        pid: 48211,
        gpuIndex: 0,
        utilizationPercent: 97,
        memoryBytes: 30512 * MIB,
        granted: true,
      },
      {
        kind: 'gpu-sample',
        time: 42,
        sandboxId: 'sb-agent',
        step: 5,
        pid: 48377,
        gpuIndex: 1,
        utilizationPercent: 88,
        memoryBytes: 1024 * MIB,
        granted: false,
      },
    ]);
  });

  it('still reports memory where pmon is refused, and learns GPUs it had not listed', async () => {
    const samples: GpuSample[] = [];
    const exec = fakeSmi({ list: GPU_LIST, apps: COMPUTE_APPS, pmon: new Error('pmon is not supported in MIG mode') });
    const sampler = new GpuSampler({ exec, emit: (e) => samples.push(e), pidToSandbox });
    await sampler.sampleOnce(); // no available() first: the uuid map is filled on demand
    assert.deepEqual(
      samples.map((s) => [s.pid, s.gpuIndex, s.utilizationPercent, s.memoryBytes]),
      [
        [48211, 0, null, 30512 * MIB],
        [48377, 1, null, 1024 * MIB],
      ],
    );
  });

  it('rejects when nvidia-smi answers neither query', async () => {
    const sampler = new GpuSampler({ exec: fakeSmi({ list: GPU_LIST }), emit: () => undefined, pidToSandbox });
    await assert.rejects(sampler.sampleOnce(), /ENOENT/);
  });

  it('reports a failed pid lookup and samples the other processes', async () => {
    const samples: GpuSample[] = [];
    const errors: unknown[] = [];
    const sampler = new GpuSampler({
      exec: fakeSmi({ list: GPU_LIST, apps: COMPUTE_APPS, pmon: PMON_R535 }),
      emit: (e) => samples.push(e),
      pidToSandbox: (pid) => (pid === 48211 ? Promise.reject(new Error('proc gone')) : pidToSandbox(pid)),
      onError: (err) => errors.push(err),
    });
    await sampler.sampleOnce();
    assert.deepEqual(samples.map((s) => s.pid), [48377]);
    assert.equal(errors.length, 1);
  });
});
