import { describe, it } from 'node:test';
import * as assert from 'node:assert/strict';
import { leafPaths, limitWrites, parseCgroupLayout, reapDirs, sandboxDirs } from './cgroup-layout.js';
import { HYBRID_MOUNTS, V2_MOUNTS } from './cgroup-mounts-fixtures.js';

const HYBRID = HYBRID_MOUNTS;
const V2 = V2_MOUNTS;
const COMOUNTED = `cgroup /sys/fs/cgroup/cpu,cpuacct cgroup rw,cpu,cpuacct 0 0
cgroup /sys/fs/cgroup/memory cgroup rw,memory 0 0
cgroup /sys/fs/cgroup/pids cgroup rw,pids 0 0
cgroup /sys/fs/cgroup/freezer cgroup rw,freezer 0 0
`;

describe('parseCgroupLayout', () => {
  it('reads a hybrid host as v1 with the unified hierarchy beside it', () => {
    const layout = parseCgroupLayout(HYBRID);
    assert.equal(layout.kind, 'v1');
    if (layout.kind !== 'v1') return;
    assert.equal(layout.controllers.memory, '/sys/fs/cgroup/memory');
    assert.equal(layout.unified, '/sys/fs/cgroup/unified');
  });

  it('reads a pure v2 host', () => {
    assert.deepEqual(parseCgroupLayout(V2), { kind: 'v2', root: '/sys/fs/cgroup' });
  });

  it('handles co-mounted v1 controllers without a v2 hierarchy', () => {
    const layout = parseCgroupLayout(COMOUNTED);
    assert.equal(layout.kind, 'v1');
    if (layout.kind !== 'v1') return;
    assert.equal(layout.controllers.cpu, '/sys/fs/cgroup/cpu,cpuacct');
    assert.equal(layout.controllers.cpuacct, '/sys/fs/cgroup/cpu,cpuacct');
    assert.equal(layout.unified, null);
  });

  it('refuses a host with neither', () => {
    assert.throws(() => parseCgroupLayout('proc /proc proc rw 0 0\n'), /no usable cgroup hierarchy/);
  });
});

describe('leafPaths', () => {
  it('gives a leaf its own cgroup where it is measured, and the sandbox-wide one for cpu and freezer', () => {
    const p = leafPaths(parseCgroupLayout(HYBRID), 'sb-1', 'step-3');
    assert.deepEqual(p.leafDirs, [
      '/sys/fs/cgroup/cpuacct/praetor/sb-1/step-3',
      '/sys/fs/cgroup/memory/praetor/sb-1/step-3',
      '/sys/fs/cgroup/pids/praetor/sb-1/step-3',
      '/sys/fs/cgroup/unified/praetor/sb-1/step-3',
    ]);
    assert.deepEqual(p.procsFiles, [
      '/sys/fs/cgroup/cpuacct/praetor/sb-1/step-3/cgroup.procs',
      '/sys/fs/cgroup/memory/praetor/sb-1/step-3/cgroup.procs',
      '/sys/fs/cgroup/pids/praetor/sb-1/step-3/cgroup.procs',
      '/sys/fs/cgroup/unified/praetor/sb-1/step-3/cgroup.procs',
      '/sys/fs/cgroup/cpu/praetor/sb-1/cgroup.procs',
      '/sys/fs/cgroup/freezer/praetor/sb-1/cgroup.procs',
    ]);
    assert.equal(p.nftPath, 'unified/praetor/sb-1/step-3');
    assert.equal(p.nftLevel, 3);
  });

  it('uses one hierarchy on v2, and a co-mounted v1 pair once, as a leaf', () => {
    assert.deepEqual(leafPaths(parseCgroupLayout(V2), 'sb-1', 'init').procsFiles, [
      '/sys/fs/cgroup/praetor/sb-1/init/cgroup.procs',
    ]);
    assert.equal(leafPaths(parseCgroupLayout(V2), 'sb-1', 'init').nftPath, 'praetor/sb-1/init');
    const co = leafPaths(parseCgroupLayout(COMOUNTED), 'sb-1', 'init');
    assert.deepEqual(co.procsFiles, [
      '/sys/fs/cgroup/cpu,cpuacct/praetor/sb-1/init/cgroup.procs',
      '/sys/fs/cgroup/memory/praetor/sb-1/init/cgroup.procs',
      '/sys/fs/cgroup/pids/praetor/sb-1/init/cgroup.procs',
      '/sys/fs/cgroup/freezer/praetor/sb-1/cgroup.procs',
    ]);
    assert.equal(co.nftPath, null);
  });
});

describe('limitWrites', () => {
  const limits = { cpus: 1.5, memoryBytes: 512 * 2 ** 20, pids: 64 };
  it('writes v2 control files on the sandbox cgroup', () => {
    assert.deepEqual(limitWrites(parseCgroupLayout(V2), 'sb-1', limits), [
      ['/sys/fs/cgroup/praetor/sb-1/cpu.max', '150000 100000'],
      ['/sys/fs/cgroup/praetor/sb-1/memory.max', '536870912'],
      ['/sys/fs/cgroup/praetor/sb-1/memory.swap.max', '0'],
      ['/sys/fs/cgroup/praetor/sb-1/pids.max', '64'],
    ]);
  });

  it('writes v1 control files in each controller', () => {
    assert.deepEqual(limitWrites(parseCgroupLayout(HYBRID), 'sb-1', limits), [
      ['/sys/fs/cgroup/cpu/praetor/sb-1/cpu.cfs_period_us', '100000'],
      ['/sys/fs/cgroup/cpu/praetor/sb-1/cpu.cfs_quota_us', '150000'],
      ['/sys/fs/cgroup/memory/praetor/sb-1/memory.limit_in_bytes', '536870912'],
      ['/sys/fs/cgroup/pids/praetor/sb-1/pids.max', '64'],
    ]);
    assert.equal(sandboxDirs(parseCgroupLayout(HYBRID), 'sb-1').unified, '/sys/fs/cgroup/unified/praetor/sb-1');
  });
});

describe('reapDirs', () => {
  it('names the one directory that lists every process of a sandbox: v2 cgroup or v1 freezer', () => {
    assert.deepEqual(reapDirs(parseCgroupLayout(V2), 'sb-1'), ['/sys/fs/cgroup/praetor/sb-1']);
    assert.deepEqual(reapDirs(parseCgroupLayout(HYBRID), 'sb-1'), ['/sys/fs/cgroup/freezer/praetor/sb-1']);
  });
});
