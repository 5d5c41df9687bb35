// Invariant: the sandbox's own launch is never taken for the agent's, however late the process
// monitor reports it. praetor starts each sandbox's init through bubblewrap, in the init's cgroup,
// with praetor's helper bound at /.praetor/spawn on its command line. Its exec is normally read
// before the guard watches the sandbox and dropped; on a loaded host the monitor's line for it came
// after, and guard-tamper (T1562.001, a command line that touches /.praetor/) fired with no step:
// a false alert in a benign red-team scenario, and in block mode a kill of bubblewrap that took the
// sandbox's init with it (the next agent step ended 137 within milliseconds, with no alert of its
// own). Here every line of the process monitor is held back, so every launch is reported late.
import { after, before, it } from 'node:test';
import * as assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defaultProcmonPath } from '../../monitor/process/process-monitor.js';
import { bash, startGuardWorld, summary, type GuardWorld } from '../../testing/guard-world.js';

/** Longer than creating a sandbox takes, so the launch is always reported after the guard watches it. */
const DELAY_MS = 1500;

let world: GuardWorld;
let scratch: string;

before(async () => {
  scratch = await mkdtemp(join(tmpdir(), 'praetor-late-procmon-'));
  const wrapper = join(scratch, 'late-procmon.cjs');
  // Runs the real monitor and passes each chunk of its output on DELAY_MS later, in order; its
  // input (the guard's sync requests) goes straight through.
  await writeFile(
    wrapper,
    `#!${process.execPath}
const { spawn } = require('node:child_process');
const child = spawn(${JSON.stringify(defaultProcmonPath())}, [], { stdio: ['inherit', 'pipe', 'inherit'] });
child.stdout.on('data', (chunk) => setTimeout(() => process.stdout.write(chunk), ${DELAY_MS}));
child.on('exit', (code) => setTimeout(() => process.exit(code ?? 1), ${DELAY_MS + 50}));
process.on('SIGTERM', () => { child.kill('SIGTERM'); process.exit(0); });
`,
    { mode: 0o755 },
  );
  process.env.PRAETOR_PROCMON = wrapper;
  world = await startGuardWorld({ policy: { mode: 'block' } });
});
after(async () => {
  await world.close();
  await rm(scratch, { recursive: true, force: true });
});

it('a launch reported after the guard watches the sandbox raises nothing and kills nothing', { timeout: 60_000 }, async () => {
  const sandbox = await world.backend.create();
  // The monitor reports in order: once the exec below is seen, the launch before it was too.
  const seen = new Promise<void>((resolve) => {
    const off = world.guard.events.subscribe({ sandboxId: sandbox.id, kinds: ['process-start'] }, (e) => {
      if (e.kind === 'process-start' && e.argv?.some((a) => a.includes('after-launch')) === true) {
        off();
        resolve();
      }
    });
  });
  const first = await bash(sandbox, 'echo after-launch');
  assert.equal(first.exitCode, 0, first.out);
  await seen;
  await world.guard.settle();
  assert.deepEqual(world.guard.alerts(sandbox.id).map((a) => a.ruleId), [], summary(world.guard.alerts(sandbox.id)));
  assert.deepEqual(world.guard.actions(sandbox.id).map((a) => `${a.action} ${a.target ?? ''}`), []);
  // the init is alive: the next step runs
  const next = await bash(sandbox, 'echo still-here');
  assert.equal(next.exitCode, 0, next.out);
  assert.match(next.out, /still-here/);
  await sandbox.destroy();
});
