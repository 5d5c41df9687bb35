// Invariant: a daemon left running by exec N stays attributed to exec N.
import { after, it } from 'node:test';
import * as assert from 'node:assert/strict';
import { newBackend } from './harness.js';

const backend = newBackend();
after(() => backend.close());

it('daemons keep running after their exec returns and are attributed to it', async () => {
  const sandbox = await backend.create();
  const first = await sandbox.exec(['sh', '-c', '(setsid sh -c "exec sleep 701" &); echo one']);
  const second = await sandbox.exec(['true']);
  const third = await sandbox.exec(['sh', '-c', 'nohup python3 -c "import time; time.sleep(702)" >/dev/null 2>&1 & echo three']);
  const fourth = await sandbox.exec(['sh', '-c', 'sleep 703 & echo four']); // keeps our stdout pipe open
  assert.deepEqual([first.step, second.step, third.step, fourth.step], [1, 2, 3, 4]);
  assert.equal(fourth.stdout.toString().trim(), 'four');

  const procs = await sandbox.processes();
  const stepOf = (needle: string): number | null | undefined => procs.find((p) => p.argv.join(' ').includes(needle))?.step;
  assert.equal(stepOf('sleep 701'), 1);
  assert.equal(stepOf('time.sleep(702)'), 3);
  assert.equal(stepOf('sleep 703'), 4);
  // still alive: the exec returned but the daemon runs on
  const alive = await sandbox.exec(['sh', '-c', 'ps -eo args | grep -c "^sleep 70[13]"']);
  assert.equal(alive.stdout.toString().trim(), '2');
});
