import { describe, it } from 'node:test';
import * as assert from 'node:assert/strict';
import { parseProcCgroup, stepOfLeaf } from './proc-cgroup.js';

const HYBRID_IN_STEP = `9:name=systemd:/user.slice/user-0.slice/session-3.scope
8:pids:/praetor/sb-abc/step-3
7:blkio:/
6:freezer:/praetor/sb-abc/step-3
5:devices:/
4:memory:/praetor/sb-abc/step-3
3:cpuset:/
2:cpuacct:/praetor/sb-abc/step-3
1:cpu:/praetor/sb-abc/step-3
0::/praetor/sb-abc/step-3
`;

describe('parseProcCgroup', () => {
  it('finds the sandbox and leaf on a hybrid host, past the systemd line', () => {
    assert.deepEqual(parseProcCgroup(HYBRID_IN_STEP), { sandboxId: 'sb-abc', leaf: 'step-3' });
  });

  it('reads a pure v2 host', () => {
    assert.deepEqual(parseProcCgroup('0::/praetor/sb-abc/init\n'), { sandboxId: 'sb-abc', leaf: 'init' });
  });

  it('reads a single v1 line', () => {
    assert.deepEqual(parseProcCgroup('12:pids:/praetor/sb-abc/step-3'), { sandboxId: 'sb-abc', leaf: 'step-3' });
  });

  it('returns the first praetor match when hierarchies disagree', () => {
    const text = '4:memory:/praetor/sb-new/step-1\n2:cpuacct:/praetor/sb-old/step-9\n';
    assert.deepEqual(parseProcCgroup(text), { sandboxId: 'sb-new', leaf: 'step-1' });
  });

  it('keeps the leaf when the sandbox made cgroups below it, or the cgroup was deleted', () => {
    assert.deepEqual(parseProcCgroup('0::/praetor/sb-abc/step-3/inner/deeper\n'), { sandboxId: 'sb-abc', leaf: 'step-3' });
    assert.deepEqual(parseProcCgroup('0::/praetor/sb-abc/step-3 (deleted)\n'), { sandboxId: 'sb-abc', leaf: 'step-3' });
  });

  it("gives an empty leaf for a process in the sandbox's own cgroup", () => {
    assert.deepEqual(parseProcCgroup('8:pids:/praetor/sb-abc\n'), { sandboxId: 'sb-abc', leaf: '' });
  });

  it('prefers a leaf to the sandbox-wide cgroup of a hierarchy listed before it', () => {
    // v1 freezer and cpu hold a step's processes in the sandbox's own cgroup
    const text = '6:freezer:/praetor/sb-abc\n4:memory:/praetor/sb-abc/step-3\n1:cpu:/praetor/sb-abc\n';
    assert.deepEqual(parseProcCgroup(text), { sandboxId: 'sb-abc', leaf: 'step-3' });
  });

  it('answers null for processes outside praetor, or paths that only look alike', () => {
    assert.equal(parseProcCgroup('0::/system.slice/sshd.service\n'), null);
    assert.equal(parseProcCgroup('0::/user.slice/praetor/sb-abc/step-1\n'), null);
    assert.equal(parseProcCgroup('0::/praetor\n1:name=systemd:/praetor/\n'), null);
    assert.equal(parseProcCgroup('0::/praetor/../step-1\n'), null);
    assert.equal(parseProcCgroup(''), null);
    assert.equal(parseProcCgroup('garbage without colons\n'), null);
  });
});

describe('stepOfLeaf', () => {
  it('reads step numbers and nothing else', () => {
    assert.equal(stepOfLeaf('step-3'), 3);
    assert.equal(stepOfLeaf('step-0'), 0);
    assert.equal(stepOfLeaf('init'), null);
    assert.equal(stepOfLeaf(''), null);
    assert.equal(stepOfLeaf('step-x'), null);
  });
});
