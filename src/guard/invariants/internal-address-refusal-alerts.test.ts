// Invariant: when an allowed name leads the proxy to an internal address, the refusal raises an alert
// (T1046) tied to the step and process that asked, in every guard mode; in block mode the process is
// stopped as well. With no allowance, this backend's sandboxes reach nothing on loopback.
import { after, before, describe, it } from 'node:test';
import * as assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { Guard } from '../guard.js';
import type { GuardMode } from '../guard-policy.js';
import { LocalBackend } from '../../sandbox/local/local-backend.js';
import { StaticResolver } from '../../sandbox/network/resolver.js';
import { bash, summary } from '../../testing/guard-world.js';

let service: Server;
let served = 0;
before(async () => {
  if (process.getuid?.() !== 0) throw new Error('needs root (CI runs as root)');
  service = createServer((_req, res) => {
    served++;
    res.end('loopback secret\n');
  });
  await new Promise<void>((resolve) => service.listen(0, '127.0.0.1', resolve));
});
after(() => service.close());

async function world(mode: GuardMode): Promise<{ guard: Guard; backend: LocalBackend }> {
  const guard = new Guard({ resourceIntervalMs: 500, policy: { mode } });
  await guard.start();
  const port = (service.address() as { port: number }).port;
  // No allowCidrs: the product default.
  const backend = new LocalBackend({ resolver: new StaticResolver({ 'allowed.test': { address: '127.0.0.1', port } }), observer: guard });
  return { guard, backend };
}

for (const mode of ['monitor', 'block'] as const) {
  describe(`${mode} mode`, () => {
    let w: { guard: Guard; backend: LocalBackend };
    before(async () => {
      w = await world(mode);
    });
    after(async () => {
      await w.backend.close();
      await w.guard.stop();
    });

    it('an allowed name resolved to loopback is refused and alerted on, with its step', async () => {
      const sandbox = await w.backend.create({ allowDomains: ['allowed.test'] });
      await bash(sandbox, 'echo a first step');
      const r = await bash(sandbox, 'curl -sS -o /dev/null -w "%{http_code}" http://allowed.test/');
      // In block mode the alert kills curl's tree, which may happen before it prints the 403.
      const out = r.stdout.toString();
      if (mode === 'monitor' || out !== '') assert.equal(out, '403');
      else assert.notEqual(r.exitCode, 0, 'curl stopped before printing must not report success');
      assert.equal(served, 0);
      const deadline = Date.now() + 15_000;
      let alerts = w.guard.alerts(sandbox.id);
      while (!alerts.some((a) => a.ruleId === 'proxy-internal-address') && Date.now() < deadline) {
        await sandbox.flushNetworkEvents();
        await new Promise((resolve) => setTimeout(resolve, 100));
        alerts = w.guard.alerts(sandbox.id);
      }
      const alert = alerts.find((a) => a.ruleId === 'proxy-internal-address');
      assert.ok(alert, summary(alerts));
      assert.equal(alert.technique, 'T1046');
      assert.equal(alert.step, r.step);
      const evidence = alert.evidence.find((e) => e.kind === 'proxy-connection');
      assert.ok(evidence && evidence.kind === 'proxy-connection');
      assert.deepEqual([evidence.decision, evidence.resolvedAddress, evidence.addressClass], ['denied', '127.0.0.1', 'loopback']);
      await w.guard.settle();
      const actions = w.guard.actions(sandbox.id).map((a) => a.action);
      assert.ok(mode === 'monitor' ? actions.every((a) => a === 'record') : actions.some((a) => a === 'kill-tree' || a === 'kill-step'), actions.join(','));
    });
  });
}
