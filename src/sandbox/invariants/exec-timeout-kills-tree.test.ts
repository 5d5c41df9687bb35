// Invariant: an exec's timeout kills its whole process tree, double-forked daemons included.
import { after, it } from 'node:test';
import * as assert from 'node:assert/strict';
import { newBackend, pidsOfUid } from './harness.js';

const backend = newBackend();
after(() => backend.close());

it('timeout kills the tree, daemons that left it included, and only that step', async () => {
  const sandbox = await backend.create();
  const bystander = await sandbox.exec(['sh', '-c', '(setsid sleep 900 &) ; echo started']);
  assert.equal(bystander.stdout.toString().trim(), 'started');

  const script = [
    '(setsid sh -c "exec sleep 901" &)', // double-forked, new session: no longer a child of anyone here
    'nohup sleep 902 >/dev/null 2>&1 &',
    'sh -c "sleep 903 & sleep 904"',
  ].join('\n');
  const started = Date.now();
  const r = await sandbox.exec(['sh', '-c', script], { timeoutMs: 400 });
  assert.ok(r.timedOut, 'reported as timed out');
  assert.ok(Date.now() - started < 5000, 'returned soon after the timeout');
  await new Promise((resolve) => setTimeout(resolve, 50));
  const left = (await sandbox.processes()).map((p) => `${p.step}:${p.argv.join(' ')}`);
  for (const s of ['901', '902', '903', '904']) assert.ok(!left.some((l) => l.endsWith(`sleep ${s}`)), `sleep ${s} survived: ${left.join(', ')}`);
  assert.ok(left.includes('1:sleep 900'), `the earlier step's daemon is untouched: ${left.join(', ')}`);
  // and from the host's side: the only processes of the sandbox's uid are init, pid1 and sleep 900
  assert.equal(pidsOfUid(sandbox.hostInfo().hostUid).length, 3);
});
