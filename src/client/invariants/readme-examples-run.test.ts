// The README's client examples work as written: each block marked `<!-- example: NAME -->` is
// taken from README.md verbatim and run against a real praetord (found through PRAETOR_HOST, as
// the README says), and what it prints is what its comments promise. Needs root.
import * as assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { after, before, describe, it } from 'node:test';
import { startPraetord, type PraetordProcess } from '../../testing/praetord-process.js';

const execFileAsync = promisify(execFile);
const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const PYTHON = existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3';

/** The fenced block right after `<!-- example: NAME -->` in README.md. */
function example(name: string): string {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
  const m = new RegExp(`<!-- example: ${name} -->\\n\`\`\`\\w+\\n([\\s\\S]*?)\\n\`\`\``).exec(readme);
  assert.ok(m?.[1], `README.md has no example ${name}`);
  return m[1];
}

let daemon: PraetordProcess;
let env: Record<string, string>;

before(async () => {
  daemon = await startPraetord();
  env = { PATH: process.env.PATH ?? '/usr/bin:/bin', PRAETOR_HOST: `unix:${daemon.socketPath}` };
});

after(async () => {
  assert.equal(await daemon.stop(), 0, daemon.stderr());
});

describe('README client examples', () => {
  it('the TypeScript example runs as written', async () => {
    // Inside the package, so `import ... from 'praetor'` resolves through its own exports.
    const file = join(ROOT, 'dist', `readme-example-${process.pid}.mjs`);
    writeFileSync(file, example('typescript-client'));
    try {
      const { stdout } = await execFileAsync(process.execPath, [file], { env, timeout: 60_000 });
      assert.match(stdout, /^hello from \/tmp\n/);
      assert.match(stdout, /\[ 'ssh-private-key-read at step 3' \]/);
    } finally {
      rmSync(file, { force: true });
    }
  });

  it('the Python example runs as written, with Debian python3 and the package source', async () => {
    const { stdout } = await execFileAsync(PYTHON, ['-c', example('python-client')], {
      env: { ...env, PYTHONPATH: join(ROOT, 'clients/python/src'), PYTHONDONTWRITEBYTECODE: '1' },
      timeout: 120_000,
    });
    assert.equal(stdout, "hello from /workspace\n['1', '2', '3']\n1.0 True\n");
  });
});
