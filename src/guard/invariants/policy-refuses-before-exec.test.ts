// The command policy in a real sandbox: a denied command starts nothing (exit 77, the reason, no
// process, no file), its decision is on its step; and a program that the pre-exec check could not
// resolve, once seen starting by the process monitor, is killed if a rule denies it.
import { after, before, it } from 'node:test';
import * as assert from 'node:assert/strict';
import { PolicyEngine } from '../../policy/policy-engine.js';
import { PolicyGate } from '../../policy/policy-gate.js';
import { loadPolicySpec } from '../../policy/policy-loader.js';
import { ShellParser } from '../../shell/shell-parser.js';
import { bash, startGuardWorld, type GuardWorld } from '../../testing/guard-world.js';

let world: GuardWorld;
before(async () => {
  const parser = await ShellParser.create();
  const loaded = loadPolicySpec('permissive', parser);
  assert.ok(loaded.layer, loaded.errors.join('\n'));
  world = await startGuardWorld({ policy: { mode: 'monitor' }, commandPolicy: new PolicyGate(new PolicyEngine(parser, [loaded.layer])) });
});
after(() => world.close());

it('a denied command starts nothing and exits 77 with the reason', async () => {
  const sandbox = await world.backend.create();
  const r = await bash(sandbox, 'touch /workspace/ran; nohup ./helper -o stratum+tcp://pool.example:3333 -u w &');
  assert.equal(r.exitCode, 77);
  assert.match(r.stderr.toString(), /Stratum mining pool URL/);
  assert.equal(r.refused !== undefined, true);
  const after = await bash(sandbox, 'test -e /workspace/ran && echo ran || echo nothing');
  assert.equal(after.out.trim(), 'nothing');
  const d = world.guard.policyDecisions(sandbox.id).find((x) => x.step === r.step);
  assert.equal(d?.ruleId, 'miner-pool-url');
  assert.equal(d?.technique, 'T1496');
  assert.equal(d?.final, 'deny');
});

it('a miner started under a computed name is killed when the process monitor sees it', async () => {
  const sandbox = await world.backend.create();
  const started = Date.now();
  // `$n` is computed at run time: the permissive policy lets the line run; the exec of xmrig is denied
  const r = await bash(sandbox, 'n=$(printf xm)rig; cp /bin/sleep /tmp/$n && /tmp/$n 20; echo "exit $?"', { timeoutMs: 30_000 });
  assert.ok(Date.now() - started < 15_000, `killed well before its 20 s: ${Date.now() - started} ms`);
  assert.match(r.out, /exit 137/);
  await world.guard.settle();
  const d = world.guard.policyDecisions(sandbox.id).find((x) => x.source === 'process');
  assert.equal(d?.ruleId, 'miner-binary');
  assert.equal(d?.step, r.step);
  assert.ok(d?.pid !== null && d?.pid !== undefined);
});
