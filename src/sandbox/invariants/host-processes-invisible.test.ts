// Invariant: a sandbox sees none of the host's processes, only its own.
import { after, before, it } from 'node:test';
import * as assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { newBackend, sh } from './harness.js';

const backend = newBackend();
let marker: ChildProcess;
const MARK = `praetor-host-marker-${process.pid}`;

before(() => {
  marker = spawn('bash', ['-c', `exec -a ${MARK} sleep 300`], { stdio: 'ignore' });
});
after(async () => {
  marker.kill('SIGKILL');
  await backend.close();
});

it('host processes are invisible inside the sandbox', async () => {
  const sandbox = await backend.create();
  // control: the marker is visible from the host, so an absence inside means something
  const hostView = await import('node:fs').then((fs) => fs.readFileSync(`/proc/${marker.pid}/cmdline`, 'utf8'));
  assert.ok(hostView.includes(MARK));

  const r = await sh(sandbox, 'for p in /proc/[0-9]*; do echo "${p#/proc/} $(tr "\\0" " " < $p/cmdline 2>/dev/null)"; done');
  assert.equal(r.exitCode, 0, r.err);
  assert.ok(!r.out.includes(MARK), 'the host marker process is visible inside');
  const pids = r.out.trim().split('\n').map((l) => Number(l.split(' ')[0]));
  assert.ok(pids.includes(1), 'the sandbox has its own PID 1');
  assert.ok(pids.every((p) => p < 100), `only sandbox pids are visible: ${pids.join(',')}`);
  assert.ok(!pids.includes(marker.pid!), 'the marker pid is reachable inside');
  const kill = await sh(sandbox, `kill -0 ${marker.pid} 2>&1; echo rc=$?`);
  assert.match(kill.out, /rc=1/);
});
