// Invariant: the guard fails closed when its process monitor dies. kill -9 of praetor-procmon
// mid-run raises guard-blind (T1562.001) in every sandbox, holds each by its policy (block:
// frozen until the monitor is back, then thawed; freeze: frozen for good, new steps refused;
// terminate: destroyed), restarts the monitor, and a later credential read is still seen. While the
// monitor can not be restarted, new steps wait instead of running unseen.
import { after, before, it } from 'node:test';
import * as assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import type { LocalSandbox } from '../../sandbox/local/local-sandbox.js';
import { bash, startGuardWorld, summary, waitForAlerts, type GuardWorld } from '../../testing/guard-world.js';

/** A read of /etc/shadow: OS credential dumping (T1003.008) or unsecured credentials (T1552). */
const CREDENTIAL = /^T1003|^T1552/;
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

function procmonPid(): number {
  const [pid] = world.guard.helperPids();
  assert.ok(pid !== undefined, 'the process monitor runs');
  return pid;
}

function actionsOf(sandbox: LocalSandbox): string[] {
  return world.guard.actions(sandbox.id).map((a) => `${a.action}${a.ok ? '' : ' FAILED'}`);
}

function blind(sandbox: LocalSandbox): boolean {
  return world.guard.alerts(sandbox.id).some((a) => a.ruleId === 'guard-blind' && a.technique === 'T1562.001' && a.severity === 'critical');
}

it('kill -9 of procmon mid-run: guard-blind, each sandbox held by its policy, monitor restarted, later reads seen', async () => {
  const blocked = await world.backend.create();
  const frozen = await world.backend.create();
  const doomed = await world.backend.create();
  world.guard.setPolicy(frozen.id, { mode: 'freeze' });
  world.guard.setPolicy(doomed.id, { mode: 'terminate' });
  // mid-run: a step of the block sandbox is running when the monitor dies
  const running = bash(blocked, 'sleep 1; echo survived');
  await bash(doomed, 'true');
  await new Promise((resolve) => setTimeout(resolve, 200));

  // the outage leaves through the guard's one event route, as every other alert and action does
  const routed: string[] = [];
  const off = world.guard.events.subscribe({ sandboxId: blocked.id, kinds: ['monitor-down', 'alert', 'action'] }, (e) => {
    if (e.kind === 'monitor-down') routed.push(`monitor-down ${e.monitor}`);
    else if (e.kind === 'alert') routed.push(`alert ${e.alert.ruleId}`);
    else routed.push(`action ${e.action.action}`);
  });
  const before = procmonPid();
  process.kill(before, 'SIGKILL');

  await until('guard-blind in every sandbox', () => [blocked, frozen, doomed].every(blind));
  await until('the terminate sandbox destroyed', () => doomed.isDestroyed && actionsOf(doomed).includes('terminate'));
  await until('the monitor restarted', () => world.guard.helperPids()[0] !== undefined && world.guard.helperPids()[0] !== before);
  assert.ok(existsSync(`/proc/${procmonPid()}`), 'the new monitor lives');
  await until('the block sandbox thawed', () => actionsOf(blocked).join(',') === 'freeze,thaw');
  off();
  const expected = ['monitor-down process-monitor', 'alert guard-blind', 'action freeze', 'action thaw'];
  assert.deepEqual(routed.filter((r) => expected.includes(r)), expected, routed.join(', '));
  assert.deepEqual(actionsOf(frozen), ['freeze']);
  assert.ok(frozen.frozen, 'the freeze sandbox stays frozen');

  // the step that ran across the outage was held, not lost
  const r = await running;
  assert.equal(r.out.trim(), 'survived');
  // a freeze sandbox takes no new step; a destroyed one none at all
  await assert.rejects(frozen.exec(['true']), (err: Error & { code?: string }) => err.code === 'policy-denied' && /frozen by the guard/.test(err.message));
  await assert.rejects(doomed.exec(['true']), /destroyed/);

  // the restarted monitor sees a credential read
  const read = await bash(blocked, 'cat /etc/shadow >/dev/null 2>&1; true');
  const alerts = await waitForAlerts(world, blocked, (all) => all.some((a) => a.step === read.step && CREDENTIAL.test(a.technique)));
  assert.ok(alerts.some((a) => a.step === read.step && CREDENTIAL.test(a.technique)), summary(alerts));
});

it('while the monitor can not be restarted, a new step waits, then runs seen once it is back', async () => {
  const sandbox = await world.backend.create();
  // monitor mode: the read is only recorded, so the step's own output proves it ran (block mode
  // may kill its shell at exec, whose argv names /etc/shadow); an outage holds it all the same
  world.guard.setPolicy(sandbox.id, { mode: 'monitor' });
  const saved = process.env.PRAETOR_PROCMON;
  process.env.PRAETOR_PROCMON = '/nonexistent/praetor-procmon';
  let step: Promise<unknown> | null = null;
  try {
    const before = procmonPid();
    process.kill(before, 'SIGKILL');
    await until('guard-blind', () => blind(sandbox));
    let done = false;
    step = bash(sandbox, 'echo ran; cat /etc/shadow >/dev/null 2>&1').finally(() => (done = true));
    await new Promise((resolve) => setTimeout(resolve, 1500));
    assert.equal(done, false, 'a step ran while the guard was blind');
    assert.equal(world.guard.helperPids().length, 0, 'no monitor runs');
    assert.ok(messages.some((m) => /process-monitor restart \d+ failed/.test(m)), messages.join(' | '));
  } finally {
    if (saved === undefined) delete process.env.PRAETOR_PROCMON;
    else process.env.PRAETOR_PROCMON = saved;
  }
  const r = (await step) as Awaited<ReturnType<typeof bash>>;
  assert.equal(r.out.trim(), 'ran');
  const alerts = await waitForAlerts(world, sandbox, (all) => all.some((a) => a.step === r.step && CREDENTIAL.test(a.technique)));
  assert.ok(alerts.some((a) => a.step === r.step && CREDENTIAL.test(a.technique)), summary(alerts));
});
