// Invariant: the guard fails closed when its file monitor dies. kill -9 of praetor-fanotify raises
// guard-blind (T1562.001) in every sandbox and holds it (block: frozen until the monitor is back);
// the monitor is restarted with every sandbox's bait marked again, so a later bait read is alerted.
import { after, before, it } from 'node:test';
import * as assert from 'node:assert/strict';
import { bash, startGuardWorld, summary, waitForAlerts, type GuardWorld } from '../../testing/guard-world.js';

let world: GuardWorld;
const messages: string[] = [];
before(async () => {
  world = await startGuardWorld({ policy: { mode: 'block' }, onError: (m) => messages.push(m) });
});
after(() => world.close());

async function until(what: string, check: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`${what} did not happen within ${timeoutMs} ms; guard said: ${messages.join(' | ')}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

it('kill -9 of praetor-fanotify: guard-blind, the sandbox frozen then thawed, bait marked again and its read alerted', async () => {
  const sandbox = await world.backend.create();
  await bash(sandbox, 'true');
  const before = world.guard.fileMonitorPid();
  assert.ok(before !== null, 'the file monitor runs');
  process.kill(before, 'SIGKILL');
  await until('guard-blind', () => world.guard.alerts(sandbox.id).some((a) => a.ruleId === 'guard-blind' && a.technique === 'T1562.001'));
  await until('the monitor restarted', () => world.guard.fileMonitorPid() !== null && world.guard.fileMonitorPid() !== before);
  await until('the sandbox thawed', () => world.guard.actions(sandbox.id).map((a) => a.action).join(',') === 'freeze,thaw');
  assert.ok(messages.some((m) => /praetor-fanotify exited/.test(m)), messages.join(' | '));

  // the restarted monitor watches the bait planted before it started
  await sandbox.writeFile('/workspace/r.py', "import os\nopen(os.path.expanduser('~') + '/.aws/credentials').read()\n");
  const r = await bash(sandbox, 'python3 /workspace/r.py');
  const alerts = await waitForAlerts(world, sandbox, (all) => all.some((a) => a.ruleId === 'bait-credential-read'));
  assert.ok(alerts.some((a) => a.step === r.step && a.ruleId === 'bait-credential-read'), summary(alerts));
});
