// The Python client (clients/python) against a real praetord: its unittest suite runs with
// Debian's python3 (standard library only) against a daemon this test starts on a temp socket and
// loopback TCP, with keys made for it; and the package installs with pip, offline. Needs root.
import * as assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { after, before, describe, it } from 'node:test';
import { startPraetord, type PraetordProcess } from '../../testing/praetord-process.js';

const execFileAsync = promisify(execFile);
const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const PACKAGE = join(ROOT, 'clients/python');
/** Debian's interpreter when there is one (what the package promises to run on), else PATH's. */
const PYTHON = existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3';

let daemon: PraetordProcess;

before(async () => {
  daemon = await startPraetord();
});

after(async () => {
  assert.equal(await daemon.stop(), 0, daemon.stderr());
});

async function unittest(env: Record<string, string>): Promise<string> {
  const run = await execFileAsync(PYTHON, ['-m', 'unittest', 'discover', '-s', join(PACKAGE, 'tests'), '-t', join(PACKAGE, 'tests'), '-v'], {
    cwd: PACKAGE,
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', PYTHONPATH: join(PACKAGE, 'src'), PYTHONDONTWRITEBYTECODE: '1', ...env },
    timeout: 240_000,
  }).catch((err: { stdout?: string; stderr?: string }) => {
    assert.fail(`python -m unittest failed:\n${err.stderr ?? ''}${err.stdout ?? ''}`);
  });
  return run.stderr; // unittest reports on stderr
}

describe('Python client', () => {
  it('passes its unit tests and every daemon test, none skipped', async () => {
    const key = async (name: string, scope: 'sandboxes' | 'envs' | 'read', maxSandboxes?: number): Promise<string> =>
      (await daemon.createKey(name, { scope, ...(maxSandboxes !== undefined ? { maxSandboxes } : {}) })).key;
    const report = await unittest({
      PRAETOR_TEST_SOCKET: daemon.socketPath,
      PRAETOR_TEST_URL: daemon.url,
      PRAETOR_TEST_KEY_SANDBOXES: await key('py-sandboxes', 'sandboxes'),
      PRAETOR_TEST_KEY_OTHER: await key('py-other', 'sandboxes'),
      PRAETOR_TEST_KEY_LIMITED: await key('py-limited', 'sandboxes', 1),
      PRAETOR_TEST_KEY_ENVS: await key('py-envs', 'envs'),
      PRAETOR_TEST_KEY_READ: await key('py-read', 'read'),
    });
    const ran = /Ran (\d+) tests?/.exec(report);
    assert.ok(ran && Number(ran[1]) >= 20, report);
    assert.match(report, /\nOK\s*$/, report);
    assert.doesNotMatch(report, /skipped/, 'no test may be skipped here');
    for (const name of ['OverSocket', 'OverTcp', 'Events', 'EnvProtocol', 'Keys']) assert.match(report, new RegExp(`\\(test_daemon\\.${name}\\.`), `${name} ran`);
  });

  it('installs with pip from the repository, with no package index', async () => {
    const venv = mkdtempSync(join(tmpdir(), 'praetor-pyvenv-'));
    try {
      // Debian's python3-setuptools and python3-wheel build it: no index is asked (PyPI is out of reach).
      await execFileAsync(PYTHON, ['-m', 'venv', '--system-site-packages', venv]);
      const env = { PATH: process.env.PATH ?? '/usr/bin:/bin', PIP_CONFIG_FILE: '/dev/null', PIP_NO_INDEX: '1', PIP_DISABLE_PIP_VERSION_CHECK: '1' };
      await execFileAsync(join(venv, 'bin/pip'), ['install', '--no-build-isolation', PACKAGE], { env, timeout: 180_000 });
      const { stdout } = await execFileAsync(join(venv, 'bin/python'), ['-c', 'import praetor, sys; print(praetor.__version__, praetor.__file__)'], { env, cwd: venv });
      assert.match(stdout, new RegExp(`^0\\.1\\.0 ${venv}/lib/python3[.0-9]*/site-packages/praetor/__init__\\.py`));
    } finally {
      rmSync(venv, { recursive: true, force: true });
      rmSync(join(PACKAGE, 'build'), { recursive: true, force: true });
      rmSync(join(PACKAGE, 'src/praetor.egg-info'), { recursive: true, force: true });
    }
  });
});
