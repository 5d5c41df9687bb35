// Checks the filter's verdicts through the in-process interpreter, and pins its byte layout.

import * as assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  buildSeccompProgram,
  describeAction,
  interpretSeccompProgram,
  SECCOMP_RET,
  type SeccompArch,
  type SeccompPolicy,
} from './bpf-program.js';
import { DEFAULT_ARGUMENT_RULES, DEFAULT_DENIED_SYSCALLS } from './default-policy.js';
import { AUDIT_ARCH, SYSCALL_NUMBERS, syscallNumber } from './syscall-table.js';

const ARCHES: readonly SeccompArch[] = ['x86_64', 'aarch64'];
const CLONE_NEWUSER = 0x10000000n;
const CLONE_NEWNET = 0x40000000n;
const SIGCHLD = 17n;
const TIOCSTI = 0x5412n;

function nrOf(arch: SeccompArch, name: string): number {
  const nr = syscallNumber(arch, name);
  assert.notEqual(nr, null, `${name} missing on ${arch}`);
  return nr ?? -1;
}

function verdict(program: Buffer, arch: SeccompArch, name: string, args: readonly bigint[] = []): string {
  return describeAction(interpretSeccompProgram(program, { arch: AUDIT_ARCH[arch], nr: nrOf(arch, name), args }));
}

function defaultProgram(arch: SeccompArch): Buffer {
  return buildSeccompProgram({ arch, deny: DEFAULT_DENIED_SYSCALLS, argumentRules: DEFAULT_ARGUMENT_RULES });
}

const AF_UNIX = 1n;
const AF_INET = 2n;
const AF_INET6 = 10n;
const AF_NETLINK = 16n;
const AF_VSOCK = 40n;
const SOCK_STREAM = 1n;
const SOCK_RAW = 3n;

void describe('buildSeccompProgram', () => {
  for (const arch of ARCHES) {
    void describe(arch, () => {
      const program = defaultProgram(arch);

      void it('kills a syscall made under another ABI', () => {
        const foreign = arch === 'x86_64' ? 0x40000003 /* i386 */ : 0x40000028; /* arm */
        const ret = interpretSeccompProgram(program, { arch: foreign, nr: nrOf(arch, 'read') });
        assert.equal(ret, SECCOMP_RET.KILL_PROCESS);
        assert.equal(describeAction(ret), 'kill-process');
      });

      void it('answers every default-denied syscall the arch has with EPERM', () => {
        let checked = 0;
        for (const name of DEFAULT_DENIED_SYSCALLS) {
          if (syscallNumber(arch, name) === null) continue;
          assert.equal(verdict(program, arch, name), 'errno 1', name);
          checked++;
        }
        assert.ok(checked > 40, `only ${checked} denied syscalls exist on ${arch}`);
      });

      void it('allows ordinary syscalls', () => {
        for (const name of ['read', 'write', 'openat', 'execve', 'socket', 'connect', 'mmap', 'personality']) {
          assert.equal(verdict(program, arch, name), 'allow', name);
        }
      });

      void it('allows clone without namespace flags and denies it with any', () => {
        assert.equal(verdict(program, arch, 'clone', [SIGCHLD]), 'allow');
        assert.equal(verdict(program, arch, 'clone', [0x003d0f00n | SIGCHLD]), 'allow'); // pthread_create flags
        assert.equal(verdict(program, arch, 'clone', [CLONE_NEWUSER | SIGCHLD]), 'errno 1');
        assert.equal(verdict(program, arch, 'clone', [CLONE_NEWNET]), 'errno 1');
        // The kernel ignores the high word, so junk there must neither hide nor fake a namespace flag.
        assert.equal(verdict(program, arch, 'clone', [(1n << 40n) | CLONE_NEWUSER]), 'errno 1');
        assert.equal(verdict(program, arch, 'clone', [1n << 60n]), 'allow');
      });

      void it('makes clone3 fail with ENOSYS so libc falls back to clone', () => {
        assert.equal(verdict(program, arch, 'clone3'), 'errno 38');
      });

      void it('denies TIOCSTI and TIOCLINUX ioctls and allows the rest', () => {
        assert.equal(verdict(program, arch, 'ioctl', [1n, TIOCSTI]), 'errno 1');
        assert.equal(verdict(program, arch, 'ioctl', [1n, 0x541cn]), 'errno 1');
        assert.equal(verdict(program, arch, 'ioctl', [1n, (0xffn << 32n) | TIOCSTI]), 'errno 1');
        assert.equal(verdict(program, arch, 'ioctl', [1n, 0x5401n /* TCGETS */]), 'allow');
        assert.equal(verdict(program, arch, 'ioctl', [1n, 0x5413n /* TIOCGWINSZ */]), 'allow');
      });

      void it('denies modify_ldt where the arch has it', () => {
        if (syscallNumber(arch, 'modify_ldt') !== null) assert.equal(verdict(program, arch, 'modify_ldt'), 'errno 1');
      });

      void it("allows only Docker's personality values", () => {
        for (const p of [0n, 8n, 0x20000n, 0x20008n, 0xffffffffn]) assert.equal(verdict(program, arch, 'personality', [p]), 'allow', p.toString(16));
        for (const p of [0x0040000n /* ADDR_NO_RANDOMIZE */, 0x0100000n /* MMAP_PAGE_ZERO */, 0x0400000n /* READ_IMPLIES_EXEC */, 1n, 0x20001n]) {
          assert.equal(verdict(program, arch, 'personality', [p]), 'errno 1', p.toString(16));
        }
        // personality takes an unsigned int: the high word is not part of the value.
        assert.equal(verdict(program, arch, 'personality', [(1n << 40n) | 0x0040000n]), 'errno 1');
      });

      void it('denies vsock sockets and every netlink family but NETLINK_ROUTE', () => {
        assert.equal(verdict(program, arch, 'socket', [AF_VSOCK, SOCK_STREAM, 0n]), 'errno 1');
        assert.equal(verdict(program, arch, 'socket', [AF_NETLINK, SOCK_RAW, 0n]), 'allow');
        for (const proto of [4n /* SOCK_DIAG */, 9n /* AUDIT */, 11n /* CONNECTOR */, 12n /* NETFILTER */, 15n /* KOBJECT_UEVENT */, 16n /* GENERIC */]) {
          assert.equal(verdict(program, arch, 'socket', [AF_NETLINK, SOCK_RAW, proto]), 'errno 1', `netlink ${proto}`);
        }
        for (const family of [AF_UNIX, AF_INET, AF_INET6]) {
          for (const proto of [0n, 4n, 6n, 17n]) assert.equal(verdict(program, arch, 'socket', [family, SOCK_STREAM, proto]), 'allow');
        }
      });

      void it('fits the kernel limits', () => {
        assert.equal(program.length % 8, 0);
        assert.ok(program.length / 8 <= 4096);
      });

      void it('denies the whole table without overflowing a jump offset', () => {
        const all = Object.keys(SYSCALL_NUMBERS[arch]);
        assert.ok(all.length >= 200);
        const everything = buildSeccompProgram({ arch, deny: all, errno: 13 });
        assert.ok(everything.length / 8 <= 4096);
        for (const name of all) assert.equal(verdict(everything, arch, name, [SIGCHLD, 0x5401n]), 'errno 13', name);
        const unassigned = 1000;
        assert.equal(describeAction(interpretSeccompProgram(everything, { arch: AUDIT_ARCH[arch], nr: unassigned })), 'allow');
      });
    });
  }

  void it('refuses x32 syscalls on x86_64', () => {
    const program = defaultProgram('x86_64');
    const ret = interpretSeccompProgram(program, { arch: AUDIT_ARCH.x86_64, nr: 0x40000000 + 1 });
    assert.equal(describeAction(ret), 'errno 1');
  });

  void it('lets an explicit deny of clone, clone3 or ioctl override the finer checks', () => {
    const program = buildSeccompProgram({ arch: 'x86_64', deny: ['clone', 'clone3', 'ioctl'] });
    assert.equal(verdict(program, 'x86_64', 'clone', [SIGCHLD]), 'errno 1');
    assert.equal(verdict(program, 'x86_64', 'clone3'), 'errno 1');
    assert.equal(verdict(program, 'x86_64', 'ioctl', [1n, 0x5401n]), 'errno 1');
  });

  void it('lets a deny-list entry override an argument rule', () => {
    const program = buildSeccompProgram({ arch: 'x86_64', deny: ['personality'], argumentRules: DEFAULT_ARGUMENT_RULES });
    assert.equal(verdict(program, 'x86_64', 'personality', [0n]), 'errno 1');
    assert.equal(verdict(program, 'x86_64', 'socket', [AF_INET, SOCK_STREAM, 0n]), 'allow');
  });

  void it('denies when any alternative holds, each a conjunction of its tests', () => {
    const program = buildSeccompProgram({
      arch: 'x86_64',
      deny: [],
      argumentRules: [{ syscall: 'kill', denyWhen: [[{ arg: 0, oneOf: [1, 2] }, { arg: 1, noneOf: [0] }], [{ arg: 1, oneOf: [9] }]] }],
    });
    assert.equal(verdict(program, 'x86_64', 'kill', [1n, 15n]), 'errno 1');
    assert.equal(verdict(program, 'x86_64', 'kill', [2n, 15n]), 'errno 1');
    assert.equal(verdict(program, 'x86_64', 'kill', [2n, 0n]), 'allow');
    assert.equal(verdict(program, 'x86_64', 'kill', [3n, 15n]), 'allow');
    assert.equal(verdict(program, 'x86_64', 'kill', [3n, 9n]), 'errno 1');
    assert.equal(verdict(program, 'x86_64', 'tkill', [1n, 15n]), 'allow');
  });

  void it('refuses argument rules it can not compile faithfully', () => {
    const build = (rule: unknown): Buffer => buildSeccompProgram({ arch: 'x86_64', deny: [], argumentRules: [rule as never] });
    assert.throws(() => build({ syscall: 'nosuch', denyWhen: [[{ arg: 0, oneOf: [1] }]] }), /unknown syscall name/);
    assert.throws(() => build({ syscall: 'ioctl', denyWhen: [[{ arg: 1, oneOf: [1] }]] }), /its own check/);
    assert.throws(() => build({ syscall: 'kill', denyWhen: [] }), /no alternative/);
    assert.throws(() => build({ syscall: 'kill', denyWhen: [[]] }), /would deny every call/);
    assert.throws(() => build({ syscall: 'kill', denyWhen: [[{ arg: 6, oneOf: [1] }]] }), /not 0..5/);
    assert.throws(() => build({ syscall: 'kill', denyWhen: [[{ arg: 0, oneOf: [] }]] }), /1..32 values/);
    assert.throws(() => build({ syscall: 'kill', denyWhen: [[{ arg: 0, oneOf: [2 ** 32] }]] }), /32-bit unsigned/);
    const twice = { syscall: 'kill', denyWhen: [[{ arg: 0, oneOf: [1] }]] };
    assert.throws(() => buildSeccompProgram({ arch: 'x86_64', deny: [], argumentRules: [twice, twice] }), /given twice/);
  });

  void it('skips names the arch lacks and throws on names no arch knows', () => {
    const program = buildSeccompProgram({ arch: 'aarch64', deny: ['iopl', 'mount'] });
    assert.equal(verdict(program, 'aarch64', 'mount'), 'errno 1');
    assert.throws(() => buildSeccompProgram({ arch: 'x86_64', deny: ['mount', 'mnt'] }), /unknown syscall name 'mnt'/);
    assert.throws(() => buildSeccompProgram({ arch: 'x86_64', deny: ['toString'] }), /unknown syscall name/);
  });

  void it('rejects an errno the kernel cannot return, and an unknown arch', () => {
    for (const errno of [0, -1, 4096, 1.5]) {
      assert.throws(() => buildSeccompProgram({ arch: 'x86_64', deny: [], errno }), /errno must be/);
    }
    const bogus = { arch: 'mips', deny: [] } as unknown as SeccompPolicy;
    assert.throws(() => buildSeccompProgram(bogus), /unsupported seccomp arch/);
  });

  void it('lays out struct sock_filter as u16 code, u8 jt, u8 jf, u32 k, little-endian', () => {
    const program = defaultProgram('x86_64');
    // ld [4] (arch); jeq #AUDIT_ARCH_X86_64, jt 1, jf 0; ret #KILL_PROCESS; ld [0] (nr)
    assert.deepEqual([...program.subarray(0, 32)], [
      0x20, 0x00, 0x00, 0x00, 0x04, 0x00, 0x00, 0x00,
      0x15, 0x00, 0x01, 0x00, 0x3e, 0x00, 0x00, 0xc0,
      0x06, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x80,
      0x20, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    ]);
    // The last instruction is the default verdict: ret #ALLOW.
    assert.deepEqual([...program.subarray(-8)], [0x06, 0x00, 0x00, 0x00, 0x00, 0x00, 0xff, 0x7f]);
  });
});

void describe('interpretSeccompProgram', () => {
  void it('throws on an opcode the builder never emits', () => {
    const program = Buffer.alloc(8);
    program.writeUInt16LE(0x04, 0); // BPF_ALU|BPF_ADD|BPF_K
    assert.throws(() => interpretSeccompProgram(program, { arch: 0, nr: 0 }), /unsupported BPF opcode 0x4/);
  });

  void it('throws on a truncated program', () => {
    assert.throws(() => interpretSeccompProgram(Buffer.alloc(12), { arch: 0, nr: 0 }), /multiple of 8/);
  });
});

void describe('describeAction', () => {
  void it('names each action', () => {
    assert.equal(describeAction(SECCOMP_RET.ALLOW), 'allow');
    assert.equal(describeAction(SECCOMP_RET.ERRNO | 38), 'errno 38');
    assert.equal(describeAction(SECCOMP_RET.KILL_THREAD), 'kill-thread');
    assert.equal(describeAction(SECCOMP_RET.LOG), 'log');
    assert.equal(describeAction(0x12340000), 'unknown 0x12340000');
  });
});
