// Invariant: the pids limit stops a fork bomb inside the sandbox.
import { after, it } from 'node:test';
import * as assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { newBackend, sandboxCgroupFile } from './harness.js';

const backend = newBackend();
after(() => backend.close());

it('a fork bomb hits the pids limit and is killed by the exec timeout', async () => {
  const limit = 48;
  const sandbox = await backend.create({ pids: limit });
  const current = await sandboxCgroupFile(sandbox.id, 'pids', 'pids.current');
  // v2 counts refusals where the limit is set; v1 counts them in the cgroup of the forking task.
  const eventFiles = [
    await sandboxCgroupFile(sandbox.id, 'pids', 'pids.events'),
    await sandboxCgroupFile(sandbox.id, 'pids', 'step-1/pids.events'),
  ];
  let peak = 0;
  const sampler = setInterval(() => {
    peak = Math.max(peak, Number(readFileSync(current, 'utf8')));
  }, 10);
  const r = await sandbox.exec(['bash', '-c', 'bomb() { bomb | bomb & }; bomb; sleep 5'], { timeoutMs: 3000 });
  clearInterval(sampler);
  assert.ok(peak > limit / 2, `the bomb did fork (peak ${peak})`);
  assert.ok(peak <= limit, `never more than ${limit} tasks (peak ${peak})`);
  const refusals = eventFiles
    .map((f) => Number(/max (\d+)/.exec(readFileSync(f, 'utf8'))?.[1] ?? 0))
    .reduce((a, b) => a + b, 0);
  assert.ok(refusals > 0, 'the kernel refused forks at the limit');
  assert.ok(r.timedOut);
  assert.match(r.stderr.toString(), /fork: (retry: )?Resource temporarily unavailable|Cannot fork/);
  assert.deepEqual(
    (await sandbox.processes()).filter((p) => p.step !== null),
    [],
    'the timeout killed every process of the bomb',
  );
  const next = await sandbox.exec(['echo', 'alive']);
  assert.equal(next.stdout.toString().trim(), 'alive');
});
