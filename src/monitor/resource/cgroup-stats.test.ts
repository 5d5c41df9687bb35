import { describe, it } from 'node:test';
import * as assert from 'node:assert/strict';
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type CgroupLayout, parseCgroupLayout } from '../../sandbox/cgroup/cgroup-layout.js';
import {
  cpuCores,
  parseCounter,
  parseCpuStat,
  parseCpuacctUsage,
  readCgroupStats,
  readCounterFile,
  statFiles,
} from './cgroup-stats.js';
import { V1_LAYOUT, V2_CPU_STAT, V2_LAYOUT, fakeCgroupFs } from './fixtures/cgroup-fixtures.js';

describe('cgroup counter parsers', () => {
  it('reads single counters with their trailing newline', () => {
    assert.equal(parseCounter('40665088\n'), 40665088);
    assert.equal(parseCounter('0\n'), 0);
    assert.equal(parseCounter('max\n'), null);
    assert.equal(parseCounter(''), null);
    assert.equal(parseCounter('-1\n'), null);
  });

  it('converts cpuacct.usage from nanoseconds', () => {
    assert.equal(parseCpuacctUsage('31258017000\n'), 31.258017);
    assert.equal(parseCpuacctUsage('garbage'), null);
  });

  it('takes usage_usec from cpu.stat', () => {
    assert.equal(parseCpuStat(V2_CPU_STAT), 1234.567891);
    assert.equal(parseCpuStat('user_usec 5\nsystem_usec 6\n'), null);
  });

  it('computes cores over an interval', () => {
    assert.equal(cpuCores(10, 12, 1000), 2);
    assert.equal(cpuCores(10, 10.25, 500), 0.5);
    assert.equal(cpuCores(10, 4, 1000), 0, 'a counter that went back is a new cgroup, not negative use');
    assert.equal(cpuCores(10, 12, 0), 0);
  });
});

describe('statFiles', () => {
  it('uses each v1 controller hierarchy, below the sandbox for a leaf', () => {
    assert.deepEqual(statFiles(V1_LAYOUT, 'sb-1', 'step-3'), {
      cpu: '/sys/fs/cgroup/cpuacct/praetor/sb-1/step-3/cpuacct.usage',
      memory: '/sys/fs/cgroup/memory/praetor/sb-1/step-3/memory.usage_in_bytes',
      pids: '/sys/fs/cgroup/pids/praetor/sb-1/step-3/pids.current',
    });
    assert.equal(statFiles(V1_LAYOUT, 'sb-1', null).cpu, '/sys/fs/cgroup/cpuacct/praetor/sb-1/cpuacct.usage');
  });

  it('uses the one v2 directory', () => {
    assert.deepEqual(statFiles(V2_LAYOUT, 'sb-1', null), {
      cpu: '/sys/fs/cgroup/praetor/sb-1/cpu.stat',
      memory: '/sys/fs/cgroup/praetor/sb-1/memory.current',
      pids: '/sys/fs/cgroup/praetor/sb-1/pids.current',
    });
  });
});

describe('readCgroupStats', () => {
  const layouts: [string, CgroupLayout][] = [
    ['v1', V1_LAYOUT],
    ['v2', V2_LAYOUT],
  ];
  for (const [name, layout] of layouts) {
    it(`reads a ${name} sandbox and its leaf`, async () => {
      const fs = fakeCgroupFs(layout);
      fs.set('sb-1', null, { cpuSeconds: 2.5, memoryBytes: 4096, pids: 3 });
      fs.set('sb-1', 'step-1', { cpuSeconds: 1.5, memoryBytes: 1024, pids: 1 });
      assert.deepEqual(await readCgroupStats(layout, 'sb-1', null, fs.readFile), {
        cpuSeconds: 2.5,
        memoryBytes: 4096,
        pids: 3,
      });
      assert.deepEqual(await readCgroupStats(layout, 'sb-1', 'step-1', fs.readFile), {
        cpuSeconds: 1.5,
        memoryBytes: 1024,
        pids: 1,
      });
    });

    it(`answers null for a ${name} cgroup that is gone`, async () => {
      const fs = fakeCgroupFs(layout);
      assert.equal(await readCgroupStats(layout, 'sb-gone', null, fs.readFile), null);
    });
  }

  it('rejects counters it can not parse instead of reporting zero', async () => {
    const read = (path: string): Promise<string> => Promise.resolve(path.endsWith('pids.current') ? 'max\n' : '1\n');
    await assert.rejects(readCgroupStats(V1_LAYOUT, 'sb-1', null, read), /unreadable cgroup counters for sb-1/);
  });

  it('rejects a read failure other than a missing cgroup', async () => {
    const read = (): Promise<string> => Promise.reject(Object.assign(new Error('denied'), { code: 'EACCES' }));
    await assert.rejects(readCgroupStats(V1_LAYOUT, 'sb-1', null, read), /denied/);
  });
});

describe('readCounterFile', () => {
  it('reads real files through readCgroupStats, and a removed cgroup as gone', async () => {
    const root = await mkdtemp(join(tmpdir(), 'praetor-cgroup-stats-'));
    try {
      const layout = parseCgroupLayout(`cgroup2 ${root} cgroup2 rw,relatime 0 0\n`);
      const dir = join(root, 'praetor', 'sb-1');
      await mkdir(dir, { recursive: true });
      await writeFile(join(dir, 'cpu.stat'), V2_CPU_STAT);
      await writeFile(join(dir, 'memory.current'), '8192\n');
      await writeFile(join(dir, 'pids.current'), '7\n');
      assert.deepEqual(await readCgroupStats(layout, 'sb-1', null), { cpuSeconds: 1234.567891, memoryBytes: 8192, pids: 7 });
      assert.equal(await readCgroupStats(layout, 'sb-1', 'step-1'), null);
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });

  it('rejects with the errno code rather than throwing', async () => {
    const read = readCounterFile('/nonexistent/praetor/cpu.stat');
    await assert.rejects(read, (err: NodeJS.ErrnoException) => err.code === 'ENOENT');
  });
});
