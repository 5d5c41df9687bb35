// Invariant: the guard fails closed when the firewall's denial reader dies. kill -9 of praetor-nflog
// mid-run raises guard-blind (T1562.001) with a monitor-down event naming the denial reader, holds
// the sandbox frozen until the backend's supervisor has restarted the reader and bound the cell
// again, then thaws it; the record says denials were lost uncounted (dropped: null), and a later
// denied attempt is recorded at its step.
import { after, before, it } from 'node:test';
import * as assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import type { DeniedAttempt, DenialsDropped } from '../../sandbox/network/network-events.js';
import { bash, startGuardWorld, waitForAlerts, summary, type GuardWorld } from '../../testing/guard-world.js';

let world: GuardWorld;
const messages: string[] = [];
before(async () => {
  world = await startGuardWorld({ policy: { mode: 'block' }, onError: (m) => messages.push(m) });
});
after(() => world.close());

async function until(what: string, check: () => boolean | Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`${what} did not happen within ${timeoutMs} ms; guard said: ${messages.join(' | ')}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

it('kill -9 of praetor-nflog mid-run: guard-blind, the sandbox held, the reader restarted, later denials recorded', async () => {
  const sandbox = await world.backend.create();
  const { hostAddress } = sandbox.hostInfo();
  const procmonBefore = world.guard.helperPids();
  // mid-run: a step is running when the reader dies
  const running = bash(sandbox, 'sleep 1; echo survived');
  await new Promise((resolve) => setTimeout(resolve, 200));

  const routed: string[] = [];
  const off = world.guard.events.subscribe({ sandboxId: sandbox.id, kinds: ['monitor-down', 'alert', 'action'] }, (e) => {
    if (e.kind === 'monitor-down') routed.push(`monitor-down ${e.monitor}`);
    else if (e.kind === 'alert') routed.push(`alert ${e.alert.ruleId}`);
    else routed.push(`action ${e.action.action}`);
  });
  const readerBefore = await world.backend.denialReaderPid();
  assert.ok(readerBefore !== null, 'the denial reader runs');
  process.kill(readerBefore, 'SIGKILL');

  await until('guard-blind', () =>
    world.guard.alerts(sandbox.id).some((a) => a.ruleId === 'guard-blind' && a.technique === 'T1562.001' && a.severity === 'critical'),
  );
  await until('the reader restarted', async () => {
    const pid = await world.backend.denialReaderPid();
    return pid !== null && pid !== readerBefore && existsSync(`/proc/${pid}`);
  });
  // The overflow alert that the lost denials raise adds a `record` action (no process or step to act on).
  const actions = (): string =>
    world.guard
      .actions(sandbox.id)
      .filter((a) => a.action !== 'record')
      .map((a) => `${a.action}${a.ok ? '' : ' FAILED'}`)
      .join(',');
  await until('the sandbox thawed', () => actions() === 'freeze,thaw').catch((err: Error) => {
    throw new Error(`${err.message}; actions: ${actions()}; alerts: ${summary(world.guard.alerts(sandbox.id))}`);
  });
  off();
  const expected = ['monitor-down denial-reader', 'alert guard-blind', 'action freeze', 'action thaw'];
  assert.deepEqual(routed.filter((r) => expected.includes(r)), expected, routed.join(', '));
  assert.deepEqual(world.guard.helperPids(), procmonBefore, 'the process monitor was not touched');
  assert.ok(!sandbox.frozen, 'thawed');

  // the step that ran across the outage was held, not lost
  const r = await running;
  assert.equal(r.out.trim(), 'survived');

  // the gap is in the record: denials lost, count unknown
  const dropped = sandbox.networkEvents().filter((e): e is DenialsDropped => e.kind === 'denials-dropped');
  assert.deepEqual(
    dropped.map((e) => e.dropped),
    [null],
  );

  // the restarted reader has the cell bound again: a raw UDP send to the cell's host side is refused and recorded
  const later = await bash(sandbox, `echo x > /dev/udp/${hostAddress}/9; true`);
  await sandbox.flushNetworkEvents();
  const denied = sandbox.networkEvents().filter((e): e is DeniedAttempt => e.kind === 'denied-attempt');
  assert.ok(
    denied.some((e) => e.step === later.step && e.protocol === 'udp' && e.dstPort === 9 && e.dstAddress === hostAddress),
    JSON.stringify(denied),
  );
  const alerts = await waitForAlerts(world, sandbox, (all) => all.some((a) => a.ruleId === 'network-record-overflow'));
  assert.ok(alerts.some((a) => a.ruleId === 'network-record-overflow'), summary(alerts));
});
