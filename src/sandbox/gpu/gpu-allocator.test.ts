import { describe, it } from 'node:test';
import * as assert from 'node:assert/strict';
import { mkdtemp, mkdir, rm, writeFile, readdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { GpuAllocator, unitsOf } from './gpu-allocator.js';
import { FileGpuClaims, MemoryGpuClaims } from './gpu-claims.js';
import { NvidiaSmiInventory, parseGpuListing, parseGpuQuery, procBusId, type Exec } from './gpu-inventory.js';
import { grantDeviceBinds, grantEnv } from './gpu-devices.js';
import { parseGpusFlag } from './gpu-selector.js';
import { MIG_HOST_LISTING, MIG_HOST_QUERY, OLD_MIG_LISTING, PROC_INFORMATION, TWO_GPUS } from './fixtures/inventory-fixtures.js';
import { PraetorError } from '../../core/errors.js';

function smi(query: string, listing = ''): Exec {
  return (_cmd, args) => Promise.resolve(args[0] === '-L' ? listing : query);
}

const twoGpus = (): GpuAllocator => new GpuAllocator(new NvidiaSmiInventory({ exec: smi(TWO_GPUS), procRoot: '/nonexistent' }), new MemoryGpuClaims());

function code(err: unknown): string {
  return err instanceof PraetorError ? err.code : String(err);
}

describe('GPU inventory', () => {
  it('reads the query and the MIG listing', () => {
    assert.deepEqual(parseGpuQuery(TWO_GPUS).map((g) => [g.index, g.name, g.memoryMiB, g.migEnabled, g.pciBusId]), [
      [0, 'NVIDIA H100 80GB HBM3', 81559, false, '00000000:18:00.0'],
      [1, 'NVIDIA H100 80GB HBM3', 81559, false, '00000000:2A:00.0'],
    ]);
    const mig = parseGpuListing(MIG_HOST_LISTING);
    assert.deepEqual(mig.get('GPU-5f1e2d3c-4b5a-4697-8877-665544332211'), []);
    assert.deepEqual(mig.get('GPU-aa11bb22-cc33-4d44-8e55-ff6600778899')?.map((m) => [m.device, m.profile]), [
      [0, '3g.20gb'],
      [1, '2g.10gb'],
      [2, '1g.5gb'],
    ]);
    assert.equal(parseGpuListing(OLD_MIG_LISTING).get('GPU-5f1e2d3c-4b5a-4697-8877-665544332211')?.[0]?.uuid, 'MIG-GPU-5f1e2d3c-4b5a-4697-8877-665544332211/0/0');
    assert.equal(parseGpuQuery('No devices were found\n').length, 0);
  });

  it('takes the device minor from /proc/driver/nvidia, the index where it is unreadable', async () => {
    const proc = await mkdtemp(`${tmpdir()}/praetor-proc-`);
    try {
      await mkdir(`${proc}/driver/nvidia/gpus/${procBusId('00000000:2A:00.0')}`, { recursive: true });
      await writeFile(`${proc}/driver/nvidia/gpus/0000:2a:00.0/information`, PROC_INFORMATION);
      const gpus = await new NvidiaSmiInventory({ exec: smi(TWO_GPUS), procRoot: proc }).read();
      assert.deepEqual(gpus.map((g) => g.minor), [0, 3]);
    } finally {
      await rm(proc, { recursive: true, force: true });
    }
  });
});

describe('GpuAllocator', () => {
  it('gives two sandboxes one GPU each, and refuses a third with a clear error', async () => {
    const a = twoGpus();
    const first = await a.allocate('sb-a', 1);
    const second = await a.allocate('sb-b', 1);
    assert.deepEqual([first.units.map((u) => u.gpuIndex), second.units.map((u) => u.gpuIndex)], [[0], [1]]);
    await assert.rejects(a.allocate('sb-c', 1), (err: unknown) => {
      assert.equal(code(err), 'host-unsupported');
      assert.equal((err as Error).message, 'no free GPU: 1 asked for, 0 of 2 free (held by sb-a, sb-b)');
      return true;
    });
    await a.release('sb-a');
    assert.deepEqual((await a.freeGpus()).map((u) => u.gpuIndex), [0]);
    assert.deepEqual((await a.allocate('sb-c', 1)).units.map((u) => u.gpuIndex), [0]);
  });

  it('grants by index and uuid, refuses a held or unknown GPU', async () => {
    const a = twoGpus();
    assert.deepEqual((await a.allocate('sb-a', ['1'])).units.map((u) => u.gpuIndex), [1]);
    await assert.rejects(a.allocate('sb-b', ['GPU-9d8c7b6a-5f4e-4d3c-a2b1-0e9f8d7c6b5a']), /GPU 1 is not free: held by sb-a/);
    await assert.rejects(a.allocate('sb-b', ['7']), (err: unknown) => code(err) === 'invalid-config' && /no GPU 7 on this host \(it has GPU 0, GPU 1\)/.test((err as Error).message));
    await assert.rejects(a.allocate('sb-b', 3), /3 GPUs asked for but this host has 2/);
    assert.deepEqual((await a.held()).map((c) => c.sandboxId), ['sb-a'], 'a refusal claims nothing');
  });

  it('shares a GPU only among sharing grants', async () => {
    const a = twoGpus();
    await a.allocate('sb-a', ['0'], true);
    await a.allocate('sb-b', ['0'], true);
    await assert.rejects(a.allocate('sb-c', ['0']), /GPU 0 is not free/);
    await a.allocate('sb-c', ['1']);
    await assert.rejects(a.allocate('sb-d', ['1'], true), /GPU 1 is not free/);
  });

  it('hands out MIG instances of a GPU in MIG mode, never the GPU whole', async () => {
    const a = new GpuAllocator(new NvidiaSmiInventory({ exec: smi(MIG_HOST_QUERY, MIG_HOST_LISTING), procRoot: '/nonexistent' }), new MemoryGpuClaims());
    assert.deepEqual(unitsOf(await a.gpus()).map((u) => u.uuid.slice(0, 8)), ['GPU-5f1e', 'MIG-0c9e', 'MIG-7e8f', 'MIG-3d4e']);
    const g = await a.allocate('sb-a', ['1:2']);
    assert.equal(g.units[0]?.mig?.profile, '1g.5gb');
    await assert.rejects(a.allocate('sb-b', ['1']), /GPU 1 is in MIG mode: ask for one of its MIG instances \(1:0, 1:1, 1:2\)/);
    // a count takes whole GPUs first, then MIG instances
    assert.deepEqual((await a.allocate('sb-b', 2)).units.map((u) => u.uuid.slice(0, 8)), ['GPU-5f1e', 'MIG-0c9e']);
    const binds = grantDeviceBinds(g, '/dev', ['nvidia0', 'nvidia1', 'nvidiactl', 'nvidia-uvm', 'nvidia-caps'], ['nvidia-cap1', 'nvidia-cap2']);
    assert.deepEqual(binds.map((b) => b.inSandbox), ['/dev/nvidia1', '/dev/nvidiactl', '/dev/nvidia-uvm', '/dev/nvidia-caps/nvidia-cap1', '/dev/nvidia-caps/nvidia-cap2']);
    assert.equal(grantEnv(g).CUDA_VISIBLE_DEVICES, 'MIG-3d4e5f6a-7b8c-5d9e-a0f1-b2c3d4e5f6a7');
  });

  it('says a host has no GPU, whether nvidia-smi is missing or lists none', async () => {
    const missing = new GpuAllocator(
      { read: () => Promise.reject(Object.assign(new Error('spawn nvidia-smi ENOENT'), { code: 'ENOENT' })) },
      new MemoryGpuClaims(),
    );
    await assert.rejects(missing.allocate('sb-a', 1), /^PraetorError: a GPU was asked for but this host has no NVIDIA GPU \(nvidia-smi is not installed\)$/);
    const none = new GpuAllocator(new NvidiaSmiInventory({ exec: smi('No devices were found\n') }), new MemoryGpuClaims());
    await assert.rejects(none.allocate('sb-a', 1), /this host has no NVIDIA GPU \(nvidia-smi lists none\)/);
  });

  it('binds only the granted GPU and the control nodes, and names it by uuid', async () => {
    const g = await twoGpus().allocate('sb-a', ['1']);
    const binds = grantDeviceBinds(g, '/tmp/devs', ['null', 'nvidia0', 'nvidia1', 'nvidiactl', 'nvidia-uvm', 'nvidia-uvm-tools', 'nvidia-modeset'], []);
    assert.deepEqual(binds, [
      { host: '/tmp/devs/nvidia1', inSandbox: '/dev/nvidia1' },
      { host: '/tmp/devs/nvidiactl', inSandbox: '/dev/nvidiactl' },
      { host: '/tmp/devs/nvidia-uvm', inSandbox: '/dev/nvidia-uvm' },
      { host: '/tmp/devs/nvidia-uvm-tools', inSandbox: '/dev/nvidia-uvm-tools' },
    ]);
    assert.deepEqual(grantEnv(g), {
      CUDA_VISIBLE_DEVICES: 'GPU-9d8c7b6a-5f4e-4d3c-a2b1-0e9f8d7c6b5a',
      NVIDIA_VISIBLE_DEVICES: 'GPU-9d8c7b6a-5f4e-4d3c-a2b1-0e9f8d7c6b5a',
      CUDA_DEVICE_ORDER: 'PCI_BUS_ID',
    });
    assert.throws(() => grantDeviceBinds(g, '/dev', ['nvidia0', 'nvidiactl'], []), /\/dev\/nvidia1 missing on this host/);
  });
});

describe('FileGpuClaims', () => {
  it('keeps two allocators (two praetor processes) from granting one GPU twice, and frees a dead owner', async () => {
    const dir = await mkdtemp(`${tmpdir()}/praetor-gpus-`);
    const alive = new Set(['1:a', '2:b']);
    const claims = (pid: number, start: string): FileGpuClaims => new FileGpuClaims(dir, { pid, startTime: start }, (p, s) => Promise.resolve(alive.has(`${p}:${s}`)));
    try {
      const inv = new NvidiaSmiInventory({ exec: smi(TWO_GPUS), procRoot: '/nonexistent' });
      const one = new GpuAllocator(inv, claims(1, 'a'));
      const two = new GpuAllocator(inv, claims(2, 'b'));
      const got = await Promise.all([one.allocate('sb-1', 1), two.allocate('sb-2', 1)]);
      assert.deepEqual(got.map((g) => g.units[0]?.gpuIndex).sort(), [0, 1]);
      await assert.rejects(two.allocate('sb-3', 1), /no free GPU/);
      alive.delete('1:a'); // the first praetor died without releasing
      assert.deepEqual((await two.allocate('sb-3', 1)).units.length, 1);
      await two.release('sb-2');
      await two.release('sb-3');
      assert.deepEqual(await readdir(dir), []);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('--gpus', () => {
  it('takes a count, a list of selectors, or index:N', () => {
    assert.equal(parseGpusFlag('2'), 2);
    assert.deepEqual(parseGpusFlag('0,1'), ['0', '1']);
    assert.deepEqual(parseGpusFlag('index:0'), ['0']);
    assert.deepEqual(parseGpusFlag('GPU-9d8c7b6a-5f4e-4d3c-a2b1-0e9f8d7c6b5a,1:2'), ['GPU-9d8c7b6a-5f4e-4d3c-a2b1-0e9f8d7c6b5a', '1:2']);
    assert.throws(() => parseGpusFlag('0'), /--gpus 0 grants nothing/);
    assert.throws(() => parseGpusFlag('all'), /--gpus: a GPU is named by its index/);
    assert.throws(() => parseGpusFlag('1,1'), /named twice/);
  });
});
