// Network probing is detected: an nmap scan and a bash /dev/tcp loop, each on its own step.
import { after, before, it } from 'node:test';
import * as assert from 'node:assert/strict';
import { bash, startGuardWorld, summary, waitForAlerts, type GuardWorld } from '../../testing/guard-world.js';

let world: GuardWorld;
before(async () => {
  world = await startGuardWorld({ policy: { mode: 'monitor' } });
});
after(() => world.close());

it('an nmap scan is detected as probing', async () => {
  const sandbox = await world.backend.create();
  const { hostAddress } = sandbox.hostInfo();
  await bash(sandbox, 'true');
  const r = await bash(sandbox, `nmap -sT -Pn -n --max-retries 0 -p 1-200 ${hostAddress} >/dev/null 2>&1; true`);
  const alerts = await waitForAlerts(world, sandbox, (all) => all.some((a) => a.technique === 'T1046' && a.step === r.step));
  assert.ok(alerts.some((a) => a.technique === 'T1046' && a.step === r.step), summary(alerts));
  // both the tool and its traffic are seen
  assert.ok(alerts.some((a) => a.evidence.some((e) => e.kind === 'network-denied')), summary(alerts));
  assert.ok(alerts.some((a) => a.evidence.some((e) => e.kind === 'process-start')), summary(alerts));
});

it('a bash /dev/tcp loop is detected as probing by its traffic', async () => {
  const sandbox = await world.backend.create();
  const { hostAddress } = sandbox.hostInfo();
  const r = await bash(sandbox, `for p in $(seq 20 60); do (exec 3<>/dev/tcp/${hostAddress}/$p) 2>/dev/null; done; true`);
  const alerts = await waitForAlerts(world, sandbox, (all) => all.some((a) => a.technique === 'T1046' && a.step === r.step));
  const scan = alerts.find((a) => a.technique === 'T1046' && a.evidence.every((e) => e.kind === 'network-denied'));
  assert.ok(scan, `a window rule over denied connects fired: ${summary(alerts)}`);
  assert.equal(scan.step, r.step);
});
