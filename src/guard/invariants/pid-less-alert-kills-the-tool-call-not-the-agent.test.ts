// Invariant: in block mode, an alert that names no process (a port scan seen only as connections
// the firewall refused) stops the tool call that made it, not the agent that ran the tool call. An
// agent CLI runs as one step and starts each command in a process group of its own; killing the
// step (what the guard did before) killed the agent, and with it every later step of its episode.
// With no other process group in the step, the step is still stopped (fail closed).
import { after, before, it } from 'node:test';
import * as assert from 'node:assert/strict';
import { bash, startGuardWorld, summary, waitForAlerts, type GuardWorld } from '../../testing/guard-world.js';

let world: GuardWorld;
before(async () => {
  world = await startGuardWorld({ policy: { mode: 'block', minSeverity: 'medium' } });
});
after(() => world.close());

/** A probe with nothing in its command line: the scan is seen only by its refused connections. */
function probeScript(address: string): string {
  // about a minute if nothing stops it: the guard's answer may take seconds on a loaded host
  return `for p in $(seq 1 1200); do (exec 3<>/dev/tcp/${address}/$p) 2>/dev/null; sleep 0.05; done; echo probe-finished\n`;
}

// An agent as the CLIs are: it starts each command as a session leader and reads its result.
const AGENT = [
  'import subprocess, time',
  "child = subprocess.Popen(['bash', '/tmp/probe.sh'], start_new_session=True)",
  "print('child', child.wait(), flush=True)",
  'time.sleep(1)',
  "print('agent alive', flush=True)",
  '',
].join('\n');

it('a refused-connection scan by a tool call kills the tool call; the agent lives on', async () => {
  const sandbox = await world.backend.create();
  const { hostAddress } = sandbox.hostInfo();
  await sandbox.writeFile('/tmp/probe.sh', probeScript(hostAddress));
  await sandbox.writeFile('/tmp/agent.py', AGENT);
  const r = await sandbox.exec(['python3', '/tmp/agent.py'], { timeoutMs: 120_000 });
  const out = r.stdout.toString();
  const alerts = await waitForAlerts(world, sandbox, (all) => all.some((a) => a.pid === null && a.step === r.step && a.finding !== true));
  await world.guard.settle();
  // the path under test was taken: an enforced alert of the step with no pid
  const pidless = alerts.filter((a) => a.pid === null && a.step === r.step && a.finding !== true && ['medium', 'high', 'critical'].includes(a.severity));
  assert.ok(pidless.length > 0, `a pid-less alert at or above medium: ${summary(alerts)}`);
  const actions = world.guard.actions(sandbox.id);
  const what = actions.map((a) => `${a.action} ${a.target ?? ''}`).join(', ');
  assert.ok(!actions.some((a) => a.action === 'kill-step'), `the step was not killed: ${what}`);
  assert.equal(r.signal, null, `the agent was not killed: ${what}; out: ${out}`);
  assert.equal(r.exitCode, 0, out + r.stderr.toString());
  assert.match(out, /^child -9$/m, `the tool call died by SIGKILL: ${out}; ${what}; ${summary(alerts.filter((a) => a.finding !== true))}`);
  assert.match(out, /^agent alive$/m);
  assert.doesNotMatch(out, /probe-finished/);
});

it('with no tool-call group in the step, the offending step is still stopped', async () => {
  const sandbox = await world.backend.create();
  const { hostAddress } = sandbox.hostInfo();
  await sandbox.writeFile('/tmp/probe.sh', probeScript(hostAddress));
  const r = await bash(sandbox, 'bash /tmp/probe.sh', { timeoutMs: 120_000 });
  const alerts = await waitForAlerts(world, sandbox, (all) => all.some((a) => a.pid === null && a.step === r.step && a.finding !== true));
  assert.ok(alerts.some((a) => a.pid === null && a.step === r.step && a.finding !== true), summary(alerts));
  assert.doesNotMatch(r.out, /probe-finished/);
  assert.notEqual(r.signal, null, `the step was killed: ${r.out}`);
});
