// Invariant: the cgroup v2 device filter refuses a device the sandbox was not granted even where
// its node is reachable. Stand-in first (no GPU here): a filter denying /dev/full (1:7) on a plain
// sandbox's cgroup makes opening /dev/full, which bubblewrap binds into every sandbox, fail with
// EPERM inside, while /dev/null and /dev/zero work. Then the real grant path on fake NVIDIA nodes
// (mknod, major 195): a process in the cgroup of a sandbox granted GPU 0 is refused GPU 1's node
// (EPERM) but reaches GPU 0's driver (ENXIO: no driver behind a fake node). A grant whose filter can
// not be attached is refused and leaves no sandbox.
import { after, before, it } from 'node:test';
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, rmdirSync } from 'node:fs';
import { sh } from './harness.js';
import { fakeGpuHost } from './fake-gpu-host.js';
import { detectCgroupLayout } from '../cgroup/cgroup-tree.js';
import { attachDeviceFilter, deviceFilterDir } from '../gpu/gpu-device-filter.js';
import { PraetorError } from '../../core/errors.js';

const host = fakeGpuHost({ gpuWatch: () => 'on' });
const { backend, devRoot } = host;

before(() => host.makeNodes());
after(() => host.close());

it('a device denied by the filter can not be opened inside, though its node is there; allowed ones work', async () => {
  const s = await backend.create({});
  const dir = deviceFilterDir(await detectCgroupLayout(), s.id);
  assert.ok(dir !== null, 'this host mounts a cgroup v2 hierarchy');
  await attachDeviceFilter(dir, ['1:3,5,8,9']); // null, zero, random, urandom; full (1:7) denied
  const r = await sh(s, 'ls /dev/full; head -c1 /dev/full; echo "full=$?"; head -c4 /dev/zero | wc -c; echo ok > /dev/null && echo null-ok');
  assert.match(r.out, /^\/dev\/full\nfull=1\n4\nnull-ok$/m, r.out + r.err);
  assert.match(r.err, /\/dev\/full.*Operation not permitted/);
  await s.destroy();
});

/** Opens `path` from a host process placed in a new leaf of the sandbox's v2 cgroup; its error text. */
function openFromCgroup(dir: string, path: string): string {
  const leaf = `${dir}/devcheck`;
  mkdirSync(leaf);
  try {
    const r = spawnSync('sh', ['-c', `echo $$ > ${leaf}/cgroup.procs && exec head -c1 ${path}`], { encoding: 'utf8' });
    return r.stderr.trim();
  } finally {
    rmdirSync(leaf);
  }
}

it("a sandbox granted GPU 0 is refused GPU 1's node by the kernel, and reaches GPU 0's", async () => {
  const a = await backend.create({ gpus: ['0'] });
  try {
    const dir = deviceFilterDir(await detectCgroupLayout(), a.id);
    assert.ok(dir !== null);
    assert.match(openFromCgroup(dir, `${devRoot}/nvidia1`), /Operation not permitted/);
    assert.match(openFromCgroup(dir, `${devRoot}/nvidia0`), /No such device or address/);
    assert.match(openFromCgroup(dir, `${devRoot}/nvidiactl`), /No such device or address/);
    // inside, the granted node opens as far as the (missing) driver
    assert.match((await sh(a, 'head -c1 /dev/nvidia0 2>&1; true')).out, /No such device or address/);
  } finally {
    await a.destroy();
  }
});

it('a grant whose filter can not be attached is refused in one line and leaves no sandbox', async () => {
  await assert.rejects(attachDeviceFilter(null, ['195:0']), (err: unknown) => err instanceof PraetorError && err.code === 'host-unsupported');
  await assert.rejects(attachDeviceFilter('/nonexistent/cgroup', ['195:0']), /device filter could not be attached \(praetor-devfilter: \/nonexistent\/cgroup: No such file/);
  const before = backend.list().length;
  process.env.PRAETOR_DEVFILTER = '/bin/false';
  try {
    await assert.rejects(backend.create({ gpus: 1 }), (err: unknown) => err instanceof PraetorError && err.code === 'host-unsupported' && !err.message.includes('\n'));
  } finally {
    delete process.env.PRAETOR_DEVFILTER;
  }
  assert.equal(backend.list().length, before);
  // its GPU was given back: the next grant gets one
  const b = await backend.create({ gpus: 1 });
  await b.destroy();
});
