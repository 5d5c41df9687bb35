// Invariant: syscalls a sandboxed agent never needs fail (mount, unshare, ptrace, bpf, ...).
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
attempt('getpid', lambda: 0 if libc.getpid() > 0 else -1)
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
  for (const name of ['mount', 'umount2', 'unshare-user', 'unshare-net', 'ptrace-traceme', 'bpf', 'keyctl', 'perf_event_open']) {
    assert.deepEqual(results.get(name), { rc: -1, err: 'EPERM' }, name);
  }
  assert.deepEqual(results.get('getpid'), { rc: 0, err: '0' });
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
