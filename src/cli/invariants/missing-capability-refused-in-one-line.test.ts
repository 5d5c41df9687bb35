// A host or container that withholds a capability the local backend uses gets a one-line refusal
// naming it (exit 69) before any sandbox exists. Without CAP_KILL the run used to build the sandbox,
// run the command, then fail to kill the sandbox's init (it runs as the sandbox's uid) and recurse
// until "Maximum call stack size exceeded", or hang. Needs root and capsh.
import * as assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { it } from 'node:test';
import { CLI } from '../../testing/praetord-process.js';

it('praetor run without CAP_KILL is refused in one line, naming it, before anything runs', async () => {
  const result = await new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
    execFile(
      'capsh',
      ['--drop=cap_kill', '--', '-c', `exec ${process.execPath} ${CLI} run --local -- echo ran`],
      { env: { ...process.env, PRAETOR_SOCKET: '/nonexistent' }, timeout: 60_000 },
      (err, stdout, stderr) => resolve({ code: err ? ((err as { code?: number }).code ?? null) : 0, stdout, stderr }),
    );
  });
  assert.equal(result.stdout, '', 'the command must not run');
  assert.equal(result.stderr, 'praetor: the local backend needs CAP_KILL, which this process lacks (docs/deploy.md says why each is needed)\n');
  assert.equal(result.code, 69);
});
