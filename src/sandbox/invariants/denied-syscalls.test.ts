// Invariant: syscalls a sandboxed agent never needs fail (mount, unshare, ptrace, bpf, modify_ldt, ...),
// and so do the arguments of allowed ones it never needs (personality flags, vsock and netlink sockets
// but NETLINK_ROUTE).
import { after, it } from 'node:test';
import * as assert from 'node:assert/strict';
import { newBackend, sh } from './harness.js';

const backend = newBackend();
after(() => backend.close());

const PROBE = String.raw`
import ctypes, errno, os
libc = ctypes.CDLL(None, use_errno=True)
def attempt(name, fn):
    ctypes.set_errno(0)
    rc = fn()
    print(name, rc, errno.errorcode.get(ctypes.get_errno(), ctypes.get_errno()))
attempt('mount', lambda: libc.mount(b'none', b'/tmp', b'tmpfs', 0, None))
attempt('umount2', lambda: libc.umount2(b'/workspace', 2))
attempt('unshare-user', lambda: libc.unshare(0x10000000))
attempt('unshare-net', lambda: libc.unshare(0x40000000))
attempt('ptrace-traceme', lambda: libc.ptrace(0, 0, None, None))
attempt('bpf', lambda: libc.syscall(321, 0, None, 0))
attempt('keyctl', lambda: libc.syscall(250, 0, 0, 0, 0, 0))
attempt('perf_event_open', lambda: libc.syscall(298, None, 0, -1, -1, 0))
attempt('modify_ldt', lambda: libc.syscall(154, 0, None, 0))
attempt('personality-no-aslr', lambda: libc.personality(0x0040000))
attempt('personality-page-zero', lambda: libc.personality(0x0100000))
attempt('socket-vsock', lambda: libc.socket(40, 1, 0))
attempt('socket-netlink-audit', lambda: libc.socket(16, 3, 9))
attempt('socket-netlink-sock-diag', lambda: libc.socket(16, 3, 4))
attempt('socket-netlink-uevent', lambda: libc.socket(16, 3, 15))
attempt('socket-netlink-generic', lambda: libc.socket(16, 3, 16))
attempt('getpid', lambda: 0 if libc.getpid() > 0 else -1)
attempt('personality-query', lambda: 0 if libc.personality(0xffffffff) >= 0 else -1)
attempt('personality-linux', lambda: 0 if libc.personality(0) >= 0 else -1)
attempt('socket-netlink-route', lambda: 0 if libc.socket(16, 3, 0) >= 0 else -1)
attempt('socket-inet', lambda: 0 if libc.socket(2, 1, 0) >= 0 else -1)
`;

it('denied syscalls fail with EPERM while ordinary ones work', async () => {
  const sandbox = await backend.create();
  const r = await sandbox.exec(['python3', '-c', PROBE]);
  assert.equal(r.exitCode, 0, r.stderr.toString());
  const results = new Map(
    r.stdout.toString().trim().split('\n').map((l) => {
      const [name = '', rc, err] = l.split(' ');
      return [name, { rc: Number(rc), err }] as const;
    }),
  );
  const denied = ['mount', 'umount2', 'unshare-user', 'unshare-net', 'ptrace-traceme', 'bpf', 'keyctl', 'perf_event_open'];
  if (process.arch === 'x64') denied.push('modify_ldt'); // the number above is x86_64's; aarch64 has no LDT
  denied.push('personality-no-aslr', 'personality-page-zero');
  denied.push('socket-vsock', 'socket-netlink-audit', 'socket-netlink-sock-diag', 'socket-netlink-uevent', 'socket-netlink-generic');
  for (const name of denied) assert.deepEqual(results.get(name), { rc: -1, err: 'EPERM' }, name);
  for (const name of ['getpid', 'personality-query', 'personality-linux', 'socket-netlink-route', 'socket-inet']) {
    assert.deepEqual(results.get(name), { rc: 0, err: '0' }, name);
  }
});

it('the real tools fail too: unshare(1), mount(8), nested bubblewrap', async () => {
  const sandbox = await backend.create();
  const r = await sh(sandbox, 'unshare -U true; echo "unshare=$?"; mount -t tmpfs none /tmp 2>&1; echo "mount=$?"; command -v bwrap; bwrap --ro-bind / / true 2>&1; echo "bwrap=$?"');
  assert.match(r.out, /unshare=1/);
  assert.match(r.out, /mount=(1|32)/);
  // bubblewrap is there to try (a missing one would exit 127 and prove nothing), and it is refused
  // the namespace it needs
  assert.match(r.out, /^\/\S*\/bwrap$/m, `bwrap is not in the sandbox: ${r.out}`);
  assert.match(r.out, /^bwrap: .*(No permissions to create new namespace|Operation not permitted)/m, r.out);
  assert.match(r.out, /bwrap=1$/m);
});

it('tools that read the network through NETLINK_ROUTE still work', async () => {
  const sandbox = await backend.create();
  const r = await sh(sandbox, 'ip -o link show lo >/dev/null && echo ip=ok; python3 -c "import socket; print(\'names=\' + str(len(socket.if_nameindex()) > 0))"; setarch -R true; echo "setarch-R=$?"');
  assert.match(r.out, /ip=ok/, r.err);
  assert.match(r.out, /names=True/, r.err);
  assert.doesNotMatch(r.out, /setarch-R=0/, 'setarch -R (ADDR_NO_RANDOMIZE) must be refused');
});
