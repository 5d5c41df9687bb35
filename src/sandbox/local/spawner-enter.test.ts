// A sandbox's own spawner enters the sandbox for each step (EXEC_IN): what that adds over a plain
// exec is tested here, on a real sandbox (needs root: CI is root).
import { after, before, describe, it } from 'node:test';
import * as assert from 'node:assert/strict';
import { newBackend } from '../invariants/harness.js';
import type { LocalBackend } from './local-backend.js';
import type { LocalSandbox } from './local-sandbox.js';

describe('steps entered by the sandbox spawner', () => {
  let backend: LocalBackend;
  let sandbox: LocalSandbox;
  before(async () => {
    backend = newBackend();
    sandbox = await backend.create({});
  });
  after(async () => {
    await backend.close();
  });

  it('runs as the sandbox user in the sandbox, in the step cgroup, with no capabilities', async () => {
    const r = await sandbox.exec(['sh', '-c', 'id -u; hostname; grep -E "^(CapEff|NoNewPrivs|Seccomp):" /proc/self/status; cat /proc/self/cgroup']);
    const out = r.stdout.toString();
    assert.equal(r.exitCode, 0, r.stderr.toString());
    assert.match(out, /^1000\nsandbox\n/);
    assert.match(out, /CapEff:\s+0000000000000000/);
    assert.match(out, /NoNewPrivs:\s+1/);
    assert.match(out, /Seccomp:\s+2/);
    assert.match(out, new RegExp(`/praetor/${sandbox.id}/step-${sandbox.stepCount}\\b`));
  });

  it('holds no pipe of another step: a reader gets EOF while a long step runs', async () => {
    const long = sandbox.exec(['sleep', '3']).then(() => 'long step');
    const reader = sandbox.exec(['cat'], { stdin: 'hello' }).then((r) => r.stdout.toString());
    // cat ends at the EOF of its stdin; a copy of that pipe held by the sleeping step would keep it
    // waiting until sleep ends.
    assert.equal(await Promise.race([long, reader]), 'hello');
    await long;
  });

  it('fails a step plainly, exit 125 and the reason, once the sandbox init is gone', async () => {
    const doomed = await backend.create({});
    try {
      assert.equal((await doomed.exec(['true'])).exitCode, 0); // the spawner is up, holding its pidfd
      process.kill(doomed.hostInfo().initPid, 'SIGKILL');
      await new Promise((resolve) => setTimeout(resolve, 100));
      const r = await doomed.exec(['true']);
      assert.equal(r.exitCode, 125);
      assert.match(r.stderr.toString(), /entering the sandbox: setns\(net\): No such process/);
    } finally {
      await doomed.destroy();
    }
  });

  it('lists the agent\'s processes, not the one waiting for the step, whatever name a process takes', async () => {
    const spawnerPath = (sandbox as unknown as { spawner: { path: string } }).spawner.path;
    // a background process named like praetor's own spawner, and a step still running
    await sandbox.exec(['bash', '-c', `(exec -a ${spawnerPath} sleep 30) >/dev/null 2>&1 &`]);
    const running = sandbox.exec(['sleep', '2']);
    await new Promise((resolve) => setTimeout(resolve, 300));
    const listed = await sandbox.processes();
    const step = sandbox.stepCount;
    assert.ok(listed.some((p) => p.argv[0] === spawnerPath && p.argv[1] === '30'), JSON.stringify(listed));
    assert.deepEqual(
      listed.filter((p) => p.step === step).map((p) => p.argv),
      [['sleep', '2']],
    );
    await running;
  });
});
