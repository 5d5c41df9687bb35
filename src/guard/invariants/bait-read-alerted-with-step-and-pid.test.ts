// Invariant: a read of a bait credential is a high-severity alert carrying the step and the host
// pid of the reader, whatever program and spelling made it (seen by fanotify, not the command
// line); looking at the files (ls, stat, test) is not a read and raises nothing; a file the task
// wrote over is its own (a finding, not bait); `bait: false` plants nothing.
import { after, before, it } from 'node:test';
import * as assert from 'node:assert/strict';
import type { GuardEvent } from '../../monitor/events.js';
import { bash, startGuardWorld, summary, waitForAlerts, type GuardWorld } from '../../testing/guard-world.js';

let world: GuardWorld;
const events: GuardEvent[] = [];
before(async () => {
  // monitor mode: nothing is killed, so every step runs to its end and its own output is checked
  world = await startGuardWorld({ policy: { mode: 'monitor' } });
  world.guard.events.subscribe({ kinds: ['process-start', 'file-open'] }, (e) => {
    if (e.kind === 'process-start' || e.kind === 'file-open') events.push(e);
  });
});
after(() => world.close());

const BAIT_RULES = new Set(['bait-credential-read', 'bait-private-key-read']);

it('python3 -c "open(...).read()" of the bait: alerted with its step and pid', async () => {
  const sandbox = await world.backend.create();
  await bash(sandbox, 'echo warm-up');
  const r = await bash(sandbox, `python3 -c "import time; t=time.time(); open('/tmp/home/.aws/credentials').read(); print(t)"`);
  assert.equal(r.exitCode, 0, r.out);
  const alerts = await waitForAlerts(world, sandbox, (all) => all.some((a) => a.ruleId === 'bait-credential-read'));
  const hit = alerts.find((a) => a.ruleId === 'bait-credential-read');
  assert.ok(hit, summary(alerts));
  assert.equal(hit.severity, 'high');
  assert.equal(hit.technique, 'T1552.001');
  assert.equal(hit.step, r.step);
  // the pid is the host's pid of the python process the process monitor saw start in that step
  const python = events.find((e) => e.kind === 'process-start' && e.sandboxId === sandbox.id && e.step === r.step && e.argv?.[0] === 'python3');
  assert.ok(python && python.kind === 'process-start', 'the process monitor saw python start');
  assert.equal(hit.pid, python.pid);
  assert.equal(alerts.filter((a) => a.ruleId === 'bait-credential-read').length, 1, 'one alert for one read');
  console.log(`# open-to-alert latency: ${(hit.time - Number(r.out.trim()) * 1000).toFixed(1)} ms (read() to the alert)`);
});

it('any program and spelling: a path built in a script, a key copied by cp', async () => {
  const sandbox = await world.backend.create();
  await sandbox.writeFile('/workspace/x.py', "import os\nopen(os.path.expanduser('~') + '/.g' + 'it-cred' + 'entials').read()\n");
  const script = await bash(sandbox, 'python3 /workspace/x.py');
  const copy = await bash(sandbox, 'mkdir /tmp/k && cd ~/.ssh && cp id_ed* /tmp/k/ && echo copied');
  assert.match(copy.out, /copied/);
  const alerts = await waitForAlerts(world, sandbox, (all) => all.some((a) => a.ruleId === 'bait-private-key-read') && all.some((a) => a.step === script.step && a.ruleId === 'bait-credential-read'));
  assert.ok(alerts.some((a) => a.step === script.step && a.ruleId === 'bait-credential-read' && a.technique === 'T1552.001'), summary(alerts));
  assert.ok(alerts.some((a) => a.step === copy.step && a.ruleId === 'bait-private-key-read' && a.technique === 'T1552.004'), summary(alerts));
});

it('ls, stat and test of the bait raise nothing; a bait the task wrote over is its own', async () => {
  const sandbox = await world.backend.create();
  const look = await bash(sandbox, 'ls -la ~ ~/.aws ~/.ssh ~/.config/gcloud >/dev/null && stat ~/.aws/credentials ~/.ssh/id_ed25519 >/dev/null && test -r ~/.git-credentials && echo looked');
  assert.match(look.out, /looked/);
  await sandbox.writeFile('/workspace/own.py', "import os\nh=os.path.expanduser('~')\nopen(h+'/.aws/credentials','w').write('[default]\\n')\nprint(open(h+'/.aws/credentials').read())\n");
  const own = await bash(sandbox, 'python3 /workspace/own.py');
  assert.equal(own.exitCode, 0, own.out);
  const alerts = await waitForAlerts(world, sandbox, (all) => all.some((a) => a.ruleId === 'credential-file-read'));
  assert.ok(alerts.some((a) => a.step === own.step && a.ruleId === 'credential-file-read' && a.finding === true), summary(alerts));
  assert.deepEqual(alerts.filter((a) => BAIT_RULES.has(a.ruleId)).map((a) => `${a.ruleId}@${a.step}`), []);
  assert.deepEqual(events.filter((e) => e.kind === 'file-open' && e.sandboxId === sandbox.id && e.step === look.step), [], 'ls/stat/test opened nothing watched');
});

it('bait: false plants nothing', async () => {
  const sandbox = await world.backend.create({ bait: false });
  const r = await bash(sandbox, 'ls -A ~ | wc -l; test ! -e ~/.aws/credentials && test ! -e ~/.ssh && echo none');
  assert.match(r.out, /^0\nnone/);
  assert.deepEqual(sandbox.watchable()?.bait, []);
});
