// Pins the syscall numbers the default policy depends on against the kernel's tables.

import * as assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { AUDIT_ARCH, SYSCALL_NUMBERS, syscallNumber } from './syscall-table.js';

void describe('syscall tables', () => {
  void it('match the kernel on x86_64', () => {
    const expected = {
      read: 0, ioctl: 16, clone: 56, ptrace: 101, mount: 165, umount2: 166, iopl: 172, unshare: 272,
      setns: 308, bpf: 321, io_uring_setup: 425, clone3: 435, mount_setattr: 442, open_tree_attr: 467,
    };
    for (const [name, nr] of Object.entries(expected)) assert.equal(syscallNumber('x86_64', name), nr, name);
  });

  void it('match the generic table on aarch64', () => {
    const expected = {
      io_setup: 0, ioctl: 29, umount2: 39, mount: 40, openat: 56, unshare: 97, ptrace: 117, clone: 220,
      execve: 221, setns: 268, bpf: 280, io_uring_setup: 425, clone3: 435, open_tree_attr: 467,
    };
    for (const [name, nr] of Object.entries(expected)) assert.equal(syscallNumber('aarch64', name), nr, name);
  });

  void it('give each number to one name per arch', () => {
    for (const [arch, table] of Object.entries(SYSCALL_NUMBERS)) {
      const numbers = Object.values(table);
      assert.equal(new Set(numbers).size, numbers.length, arch);
      assert.ok(numbers.every((nr) => Number.isInteger(nr) && nr >= 0 && nr < 0x40000000), arch);
    }
  });

  void it('return null for a call the arch lacks and throw on a name no arch has', () => {
    for (const name of ['iopl', 'ioperm', 'uselib', 'create_module', '_sysctl', 'open', 'fork']) {
      assert.equal(syscallNumber('aarch64', name), null, name);
    }
    assert.throws(() => syscallNumber('aarch64', 'unshar'), /unknown syscall name 'unshar'/);
    assert.throws(() => syscallNumber('x86_64', 'hasOwnProperty'), /unknown syscall name/);
  });

  void it('carry the AUDIT_ARCH values', () => {
    assert.equal(AUDIT_ARCH.x86_64, 0xc000003e);
    assert.equal(AUDIT_ARCH.aarch64, 0xc00000b7);
  });
});
