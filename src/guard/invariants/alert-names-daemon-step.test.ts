// An alert names the step that started the offending process, also when a daemon spawned in an
// earlier step started it later.
import { after, before, it } from 'node:test';
import * as assert from 'node:assert/strict';
import { bash, startGuardWorld, summary, waitForAlerts, type GuardWorld } from '../../testing/guard-world.js';

let world: GuardWorld;
before(async () => {
  world = await startGuardWorld({ policy: { mode: 'monitor' } });
});
after(() => world.close());

it('a daemon from step 1 that later runs a scanner is blamed on step 1', async () => {
  const sandbox = await world.backend.create();
  const { hostAddress } = sandbox.hostInfo();
  const daemon = await bash(sandbox, `(setsid sh -c 'sleep 2; nmap -sT -Pn -n --max-retries 0 -p 1-50 ${hostAddress} >/dev/null 2>&1' &) ; echo started`);
  assert.equal(daemon.step, 1);
  await bash(sandbox, 'echo step two');
  await bash(sandbox, 'sleep 3; echo step three');
  const alerts = await waitForAlerts(world, sandbox, (all) => all.some((a) => a.technique === 'T1046'));
  const scans = alerts.filter((a) => a.technique === 'T1046');
  assert.ok(scans.length > 0, summary(alerts));
  for (const a of scans) assert.equal(a.step, 1, `blamed on the daemon's step: ${summary(alerts)}`);
});
