// Invariant: the sandbox's uid is not 0, inside or on the host, and it holds no capabilities.
import { after, it } from 'node:test';
import * as assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { newBackend, sh } from './harness.js';

const backend = newBackend();
after(() => backend.close());

it('runs as a non-root uid with no capabilities, no_new_privs and seccomp', async () => {
  const sandbox = await backend.create();
  const r = await sh(sandbox, 'id -u; grep -E "^(Cap(Inh|Prm|Eff|Bnd|Amb)|NoNewPrivs|Seccomp):" /proc/self/status; sleep 30 & echo $!');
  assert.equal(r.exitCode, 0, r.err);
  const lines = r.out.trim().split('\n');
  assert.equal(lines[0], '1000');
  const status = Object.fromEntries(lines.slice(1, -1).map((l) => l.split(/:\s+/) as [string, string]));
  for (const cap of ['CapInh', 'CapPrm', 'CapEff', 'CapBnd', 'CapAmb']) assert.equal(status[cap], '0000000000000000', cap);
  assert.equal(status.NoNewPrivs, '1');
  assert.equal(status.Seccomp, '2'); // filter mode

  // On the host, the same processes run as the sandbox's own unprivileged uid, not root.
  const procs = await sandbox.processes();
  const sleeper = procs.find((p) => p.argv[0] === 'sleep');
  assert.ok(sleeper, 'background process found');
  const hostStatus = readFileSync(`/proc/${sleeper.pid}/status`, 'utf8');
  const uids = /^Uid:\s+(.*)$/m.exec(hostStatus)?.[1]?.split(/\s+/).map(Number) ?? [];
  assert.equal(uids.length, 4);
  for (const u of uids) assert.equal(u, sandbox.hostInfo().hostUid);
  assert.ok(uids.every((u) => u !== 0));
  assert.match(hostStatus, /^CapEff:\s+0000000000000000$/m);
  const groups = /^Groups:[ \t]*(.*)$/m.exec(hostStatus)?.[1]?.trim();
  assert.equal(groups, '', 'no supplementary groups (host root group 0 would leak)');
});

it('cannot read root-only host files through the read-only base', async () => {
  const sandbox = await backend.create();
  const r = await sh(sandbox, 'cat /etc/shadow >/dev/null 2>&1 && echo READ || echo denied');
  assert.equal(r.out.trim(), 'denied');
});
