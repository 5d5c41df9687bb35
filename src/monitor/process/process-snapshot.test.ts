import { describe, it } from 'node:test';
import * as assert from 'node:assert/strict';
import { parseCmdline, readProcessSnapshot, statusField } from './process-snapshot.js';

describe('process snapshot', () => {
  it('splits argv on NULs and keeps empty arguments', () => {
    assert.deepEqual(parseCmdline(Buffer.from('sh\0-c\0\0echo hi\0')), ['sh', '-c', '', 'echo hi']);
    assert.equal(parseCmdline(Buffer.alloc(0)), null);
  });

  it('reads PPid and the real uid from status', () => {
    const status = 'Name:\tcat\nPPid:\t42\nUid:\t1000\t1000\t1000\t1000\n';
    assert.equal(statusField(status, 'PPid'), 42);
    assert.equal(statusField(status, 'Uid'), 1000);
    assert.equal(statusField(status, 'Gid'), null);
  });

  it('reads a live process, and null for one that is gone', async () => {
    const me = await readProcessSnapshot(process.pid);
    assert.equal(me?.pid, process.pid);
    assert.equal(me?.ppid, process.ppid);
    assert.equal(me?.exe, process.execPath);
    assert.equal(me?.argv?.[0], process.argv0);
    assert.equal(await readProcessSnapshot(2 ** 22 + 1), null);
  });
});
