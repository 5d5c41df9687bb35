import { describe, it } from 'node:test';
import * as assert from 'node:assert/strict';
import { buildInitArgv, sandboxEnv } from './bwrap-argv.js';

const base = {
  workspaceDir: '/var/lib/praetor/sandboxes/sb-1/workspace',
  tmpDir: '/var/lib/praetor/sandboxes/sb-1/tmp',
  helperPath: '/opt/praetor/native/build/praetor-spawn',
  readOnlyPaths: ['/usr', '/etc'],
  devices: [],
  hostname: 'sandbox',
  seccompFd: 3,
  infoFd: 4,
};

function pairs(argv: readonly string[], flag: string): string[][] {
  const out: string[][] = [];
  argv.forEach((a, i) => {
    if (a === flag) out.push([argv[i + 1] ?? '', argv[i + 2] ?? '']);
  });
  return out;
}

describe('buildInitArgv', () => {
  const argv = buildInitArgv(base);

  it('unshares user, pid, ipc and uts, drops every capability and leaves the terminal session', () => {
    for (const f of ['--unshare-user', '--unshare-pid', '--unshare-ipc', '--unshare-uts', '--die-with-parent', '--new-session', '--as-pid-1']) {
      assert.ok(argv.includes(f), f);
    }
    assert.equal(argv[argv.indexOf('--cap-drop') + 1], 'ALL');
    assert.equal(argv[argv.indexOf('--uid') + 1], '1000');
    // the network namespace is the cell's, joined before bwrap runs; bwrap must not make its own
    assert.ok(!argv.includes('--unshare-net') && !argv.includes('--share-net'));
  });

  it('binds the base read-only and only workspace and tmp read-write', () => {
    assert.deepEqual(pairs(argv, '--ro-bind-try'), [
      ['/usr', '/usr'],
      ['/etc', '/etc'],
    ]);
    assert.deepEqual(pairs(argv, '--bind'), [
      [base.workspaceDir, '/workspace'],
      [base.tmpDir, '/tmp'],
    ]);
    assert.equal(argv[argv.indexOf('--remount-ro') + 1], '/');
  });

  it('loads seccomp and runs praetor-spawn as PID 1', () => {
    assert.equal(argv[argv.indexOf('--seccomp') + 1], '3');
    assert.deepEqual(argv.slice(argv.indexOf('--')), ['--', '/.praetor/spawn', 'pid1']);
    assert.deepEqual(pairs(argv, '--ro-bind').at(-1), [base.helperPath, '/.praetor/spawn']);
  });

  it('exposes devices only when granted', () => {
    assert.deepEqual(pairs(argv, '--dev-bind'), []);
    const granted = buildInitArgv({
      ...base,
      devices: [
        { host: '/tmp/fake-dev/nvidia1', inSandbox: '/dev/nvidia1' },
        { host: '/dev/nvidiactl', inSandbox: '/dev/nvidiactl' },
      ],
    });
    assert.deepEqual(pairs(granted, '--dev-bind'), [
      ['/tmp/fake-dev/nvidia1', '/dev/nvidia1'],
      ['/dev/nvidiactl', '/dev/nvidiactl'],
    ]);
  });
});

describe('sandboxEnv', () => {
  it('starts from nothing of the host and points every proxy variable at the cell proxy', () => {
    const env = sandboxEnv('http://10.241.0.1:3128', { FOO: 'bar' });
    assert.equal(env.HTTPS_PROXY, 'http://10.241.0.1:3128');
    assert.equal(env.all_proxy, 'http://10.241.0.1:3128');
    assert.equal(env.FOO, 'bar');
    assert.equal(Object.keys(env).some((k) => k.startsWith('npm_') || k === 'SSH_AUTH_SOCK'), false);
  });
});
