// Checks that the default deny list names real syscalls and that host arches map as expected.

import * as assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DEFAULT_DENIED_SYSCALLS, hostSeccompArch } from './default-policy.js';
import { syscallNumber } from './syscall-table.js';

void describe('DEFAULT_DENIED_SYSCALLS', () => {
  void it('names only known syscalls, once each', () => {
    assert.equal(new Set(DEFAULT_DENIED_SYSCALLS).size, DEFAULT_DENIED_SYSCALLS.length);
    for (const name of DEFAULT_DENIED_SYSCALLS) {
      const somewhere = syscallNumber('x86_64', name) ?? syscallNumber('aarch64', name);
      assert.notEqual(somewhere, null, name);
    }
  });

  void it('leaves the calls ordinary tools need alone', () => {
    for (const name of ['personality', 'clone', 'clone3', 'ioctl', 'execve', 'prctl', 'seccomp']) {
      assert.ok(!DEFAULT_DENIED_SYSCALLS.includes(name), name);
    }
  });
});

void describe('hostSeccompArch', () => {
  void it('maps Node arches to seccomp arches', () => {
    assert.equal(hostSeccompArch('x64'), 'x86_64');
    assert.equal(hostSeccompArch('arm64'), 'aarch64');
    assert.throws(() => hostSeccompArch('ia32'), /x64 and arm64 hosts only, not 'ia32'/);
  });

  void it('defaults to this process', () => {
    if (process.arch === 'x64' || process.arch === 'arm64') assert.ok(hostSeccompArch());
    else assert.throws(() => hostSeccompArch());
  });
});
