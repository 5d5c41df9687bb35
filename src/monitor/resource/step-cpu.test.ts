import * as assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseCpuStatTimes, parseProcIo, parseSchedstat, readStepCpu, stepPids } from './step-cpu.js';
import type { CgroupLayout } from '../../sandbox/cgroup/cgroup-layout.js';

const V1: CgroupLayout = {
  kind: 'v1',
  controllers: { cpu: '/cg/cpu', cpuacct: '/cg/cpuacct', memory: '/cg/memory', pids: '/cg/pids', freezer: '/cg/freezer' },
  unified: null,
};
const V2: CgroupLayout = { kind: 'v2', root: '/cg' };

function files(map: Record<string, string>): (path: string) => Promise<string> {
  return (path) => (path in map ? Promise.resolve(map[path] ?? '') : Promise.reject(Object.assign(new Error(path), { code: 'ENOENT' })));
}

describe('step CPU readings', () => {
  it('parse cpu.stat times and schedstat', () => {
    assert.deepEqual(parseCpuStatTimes('usage_usec 9000000\nuser_usec 8800000\nsystem_usec 200000\nnr_periods 0\n'), { cpu: 9, user: 8.8, system: 0.2 });
    assert.equal(parseCpuStatTimes('usage_usec 1\n'), null);
    assert.deepEqual(parseSchedstat('8123456789 2000000000 1200\n'), { runNs: 8123456789, waitNs: 2000000000 });
    assert.equal(parseSchedstat('garbage'), null);
    assert.equal(parseProcIo('rchar: 1713023\nwchar: 29\nsyscr: 677\nsyscw: 29\nread_bytes: 0\n'), 1713052);
    assert.equal(parseProcIo('syscr: 1\n'), null);
  });

  it('read a v1 step leaf (cpuacct nanoseconds, memory peak)', async () => {
    const read = files({
      '/cg/cpuacct/praetor/sb-1/step-3/cpuacct.usage': '9000000000\n',
      '/cg/cpuacct/praetor/sb-1/step-3/cpuacct.usage_user': '8900000000\n',
      '/cg/cpuacct/praetor/sb-1/step-3/cpuacct.usage_sys': '100000000\n',
      '/cg/memory/praetor/sb-1/step-3/memory.max_usage_in_bytes': '12000000\n',
      '/cg/cpuacct/praetor/sb-1/step-3/cgroup.procs': '41\n42\n',
    });
    assert.deepEqual(await readStepCpu(V1, 'sb-1', 'step-3', read), { cpuSeconds: 9, userSeconds: 8.9, systemSeconds: 0.1, peakMemoryBytes: 12e6 });
    assert.deepEqual(await stepPids(V1, 'sb-1', 'step-3', read), [41, 42]);
  });

  it('read a v2 leaf without memory.peak (older kernels), and a gone leaf as null', async () => {
    const read = files({ '/cg/praetor/sb-1/step-1/cpu.stat': 'usage_usec 2000000\nuser_usec 1500000\nsystem_usec 500000\n' });
    assert.deepEqual(await readStepCpu(V2, 'sb-1', 'step-1', read), { cpuSeconds: 2, userSeconds: 1.5, systemSeconds: 0.5, peakMemoryBytes: null });
    assert.equal(await readStepCpu(V2, 'sb-1', 'step-9', read), null);
    assert.deepEqual(await stepPids(V2, 'sb-1', 'step-9', read), []);
  });
});
