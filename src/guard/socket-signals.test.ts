// Which programs count as shells or interpreters, and which read their commands from stdin.
import * as assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isInterpreter, readsCommandsFromStdin } from './socket-signals.js';
import { ProcessTable } from './process-table.js';
import { T0, processStart } from '../detect/event-fixtures.js';

describe('socket signals', () => {
  it('knows shells and interpreters by exe or argv[0]', () => {
    for (const exe of ['/usr/bin/bash', '/usr/bin/python3.11', '/usr/bin/php8.2', '/usr/bin/lua5.4', '/usr/bin/gawk', '/usr/bin/busybox']) assert.ok(isInterpreter(exe, null), exe);
    assert.ok(!isInterpreter('/usr/bin/cat', ['cat']));
    assert.ok(!isInterpreter('/usr/bin/make', ['make', '-j2']));
  });

  it('tells a shell that reads commands from stdin from one that runs a program', () => {
    assert.ok(readsCommandsFromStdin(['/bin/sh']));
    assert.ok(readsCommandsFromStdin(['bash', '-i']));
    assert.ok(readsCommandsFromStdin(['sh', '-c', 'x', '-i']));
    assert.ok(!readsCommandsFromStdin(['sh', '-c', 'make test']));
    assert.ok(!readsCommandsFromStdin(['bash', 'build.sh']));
    assert.ok(!readsCommandsFromStdin(['python3', '-c', 'print(1)']));
    assert.ok(readsCommandsFromStdin(['busybox', 'sh']));
  });

  it('stands the newest process alive at a denial for it, not one started after', () => {
    const t = new ProcessTable();
    t.start(processStart(['bash', '-c', 'x'], { pid: 10, time: T0 }));
    t.start(processStart(['python3', '-c', 'x'], { pid: 11, time: T0 + 10 }));
    t.exit({ kind: 'process-exit', time: T0 + 120, sandboxId: 'sb-1', step: 1, pid: 11, exitCode: 1, signal: null });
    t.start(processStart(['sleep', '1'], { pid: 12, time: T0 + 130 }));
    assert.equal(t.newestAt(1, T0 + 100)?.pid, 11);
    assert.equal(t.newestAt(1, T0 + 400)?.pid, 12);
  });
});
