// Shell sessions keep cwd, exported variables and functions between commands, each command its
// own exec. Run here with the host's bash through a sandbox stand-in, in a temporary directory.
import { it } from 'node:test';
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FakeSandbox } from '../testing/fake-sandbox.js';
import { sessionArgv, ShellSession } from './shell-session.js';

/** Runs the session's fixed script with the host's bash; only this test's own commands run. */
function hostBash(): FakeSandbox {
  return new FakeSandbox({
    exec: (argv, options) => {
      const r = spawnSync(argv[0] ?? '', argv.slice(1), { env: { PATH: '/usr/bin:/bin', ...options.env }, encoding: 'utf8' });
      return { exitCode: r.status, stdout: r.stdout, stderr: r.stderr };
    },
  });
}

it('cwd, exported variables and functions persist; an unset sticks; exit codes pass through', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'praetor-session-'));
  try {
    mkdirSync(join(dir, 'work', 'sub'), { recursive: true });
    const sandbox = hostBash();
    const session = new ShellSession({ cwd: join(dir, 'work'), env: { START: 'yes' } }, join(dir, 'state'));
    const run = async (command: string): Promise<{ out: string; code: number | null }> => {
      const r = await session.run(sandbox, command, {});
      return { out: r.stdout.toString(), code: r.exitCode };
    };
    assert.deepEqual(await run('pwd; echo $START'), { out: `${join(dir, 'work')}\nyes\n`, code: 0 });
    assert.equal((await run('cd sub && export FOO="a b" && greet() { echo "hi $1"; }; LOCAL=1')).code, 0);
    assert.deepEqual(await run('pwd; echo "$FOO"; greet you; echo "[$LOCAL]"'), { out: `${join(dir, 'work', 'sub')}\na b\nhi you\n[]\n`, code: 0 });
    assert.deepEqual(await run('unset START; cd ..; exit 7'), { out: '', code: 7 });
    assert.deepEqual(await run('pwd; echo "[$START]"'), { out: `${join(dir, 'work')}\n[]\n`, code: 0 });
    assert.equal(sandbox.execs.length, 5, 'each command is an exec (a step) of its own');
    assert.deepEqual(sandbox.execs[0]?.argv.slice(0, 2), ['bash', '-c']);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

it('commands of one session run one after another', async () => {
  let running = 0;
  let most = 0;
  const sandbox = new FakeSandbox({
    exec: async () => {
      most = Math.max(most, ++running);
      await new Promise((resolve) => setTimeout(resolve, 5));
      running--;
      return { exitCode: 0 };
    },
  });
  const session = new ShellSession({ cwd: '/workspace', env: {} });
  await Promise.all([1, 2, 3, 4].map((i) => session.run(sandbox, `echo ${i}`, {})));
  assert.equal(most, 1);
  assert.equal(sessionArgv('/s', 'echo x', '/w').at(-2), 'echo x');
});
