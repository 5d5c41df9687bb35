// Invariant: a destroyed sandbox leaves nothing growing in the guard. Its process table, pid map,
// proxied streams, home watcher, network and resource subscriptions go with the destroy (late
// reports of its processes build nothing up again), and only the record of the newest destroyed
// sandboxes (alerts, actions, decisions) stays readable, up to GuardOptions.keepDestroyed: a
// daemon that runs for weeks holds the same whether it made ten sandboxes or ten thousand.
// Sizes only, no timing.
import { after, before, it } from 'node:test';
import * as assert from 'node:assert/strict';
import type { Sandbox } from '../../sandbox/backend.js';
import { bash, startGuardWorld, type GuardWorld } from '../../testing/guard-world.js';

const KEEP = 2;
const N = 5;
let world: GuardWorld;

before(async () => {
  world = await startGuardWorld({ policy: { mode: 'monitor' }, keepDestroyed: KEEP });
});
after(() => world.close());

/** Resolves once the process monitor has reported a `sleep` of this sandbox. */
function sleepSeen(sandbox: Sandbox): Promise<void> {
  return new Promise((resolve) => {
    const off = world.guard.events.subscribe({ sandboxId: sandbox.id, kinds: ['process-start'] }, (e) => {
      if (e.kind === 'process-start' && e.argv?.[0] === 'sleep') {
        off();
        resolve();
      }
    });
  });
}

it(`${N} sandboxes made and destroyed: the guard holds what it held before, plus the last ${KEEP} records`, { timeout: 120_000 }, async () => {
  const initial = world.guard.footprint();
  const sandboxes: Sandbox[] = [];
  for (let i = 0; i < N; i++) {
    const sandbox = await world.backend.create();
    sandboxes.push(sandbox);
    const seen = sleepSeen(sandbox);
    // an alert to keep (a credential file named), and a process still alive at the destroy
    const r = await bash(sandbox, 'cat /etc/shadow 2>/dev/null; sleep 300 & echo started');
    assert.match(r.out, /started/);
    await seen;
  }
  await world.guard.settle();
  const live = world.guard.footprint();
  assert.equal(live.watching, initial.watching + N);
  assert.ok(live.processes >= N, `the guard tracked ${live.processes} processes of ${N} live sandboxes`);
  assert.equal(live.sampled, initial.sampled + N);
  const alertsOf = sandboxes.map((s) => world.guard.alerts(s.id).length);
  assert.ok(alertsOf.every((n) => n > 0), `alerts per sandbox: ${alertsOf.join(', ')}`);

  for (const sandbox of sandboxes) await sandbox.destroy();
  await world.guard.settle();
  const end = world.guard.footprint();
  assert.deepEqual(end, { ...initial, kept: initial.kept + KEEP });
  // the newest destroyed sandboxes' alerts stay readable; the older ones are forgotten
  assert.ok(sandboxes.slice(-KEEP).every((s) => world.guard.alerts(s.id).length > 0));
  assert.deepEqual(sandboxes.slice(0, N - KEEP).map((s) => world.guard.alerts(s.id).length), new Array<number>(N - KEEP).fill(0));
});
