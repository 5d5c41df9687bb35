// Invariant: a sandbox granted one GPU sees that GPU's device node and the control nodes, and no
// other GPU of the host; CUDA_VISIBLE_DEVICES names it; a GPU held by one sandbox is not granted to
// another, and a request when none is free is refused in one line. The host's two GPUs are fake
// (fake-gpu-host.ts: a recorded inventory and mknod'ed nodes, bound as real ones would be).
import { after, before, it } from 'node:test';
import * as assert from 'node:assert/strict';
import { sh } from './harness.js';
import { fakeGpuHost } from './fake-gpu-host.js';
import type { SandboxObserver } from '../observer.js';
import { PraetorError } from '../../core/errors.js';

const watching: { state: 'on' | 'unavailable' } = { state: 'on' };
// Only the GPU watch is asked of the observer here; the guard's own tests cover the rest.
const observer: SandboxObserver = { gpuWatch: () => watching.state };
const host = fakeGpuHost(observer);
const { backend } = host;

before(() => host.makeNodes());
after(() => host.close());

it('two sandboxes with one GPU each see only their own; a third is refused', async () => {
  const a = await backend.create({ gpus: 1 });
  const b = await backend.create({ gpus: 1 });
  const seen = async (s: typeof a): Promise<string> => (await sh(s, 'ls /dev | grep nvidia | tr "\\n" " "; echo "$CUDA_VISIBLE_DEVICES"')).out.trim();
  assert.equal(await seen(a), 'nvidia0 nvidiactl GPU-4b0f6c1e-93a2-4d7e-b5c8-1f2e3d4c5b6a');
  assert.equal(await seen(b), 'nvidia1 nvidiactl GPU-9d8c7b6a-5f4e-4d3c-a2b1-0e9f8d7c6b5a');
  assert.deepEqual([a.info().gpuGrant?.units.map((u) => u.gpuIndex), b.info().gpuGrant?.units.map((u) => u.gpuIndex)], [[0], [1]]);
  // The node is the host's (major 195): bound, not copied.
  assert.equal((await sh(a, 'stat -c %t:%T /dev/nvidia0')).out.trim(), 'c3:0');
  await assert.rejects(backend.create({ gpus: 1 }), (err: unknown) => {
    assert.ok(err instanceof PraetorError && err.code === 'host-unsupported');
    assert.equal(err.message, `no free GPU: 1 asked for, 0 of 2 free (held by ${a.id}, ${b.id})`);
    return true;
  });
  const plain = await backend.create();
  assert.equal((await sh(plain, 'ls /dev | grep -c nvidia; echo "${CUDA_VISIBLE_DEVICES-unset}"')).out.trim(), '0\nunset');
  await a.destroy();
  const c = await backend.create({ gpus: ['0'] });
  assert.equal(await seen(c), 'nvidia0 nvidiactl GPU-4b0f6c1e-93a2-4d7e-b5c8-1f2e3d4c5b6a', 'a destroyed sandbox gives its GPU back');
});

it('refuses a grant where GPU monitoring does not work, unless told, and records that it was told', async () => {
  watching.state = 'unavailable';
  try {
    await assert.rejects(backend.create({ gpus: ['1'] }), /GPU monitoring does not work here .*--allow-unmonitored-gpu runs it unwatched/);
    for (const s of backend.list()) if (s.info().gpuGrant?.units.some((u) => u.gpuIndex === 1)) await s.destroy();
    const s = await backend.create({ gpus: ['1'], allowUnmonitoredGpu: true });
    assert.equal(s.info().options.allowUnmonitoredGpu, true);
    assert.equal(s.info().gpuGrant?.units[0]?.gpuIndex, 1);
  } finally {
    watching.state = 'on';
  }
});
