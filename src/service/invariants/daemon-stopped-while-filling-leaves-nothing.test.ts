// Invariant: a daemon stopped (SIGTERM) while its warm pool is still being filled, before it is
// ready, leaves no sandbox behind: the creates under way finish, and the backend's close destroys
// them with the rest. It used to close the backend beside them, and the sandboxes they then made
// (loop-mounted disks, namespaces, cgroups) stayed. Needs root.
import { it } from 'node:test';
import * as assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { NO_TRACES, hostTraces } from '../../sandbox/invariants/harness.js';
import { defaultHostPaths } from '../../sandbox/local/host-paths.js';
import { CLI } from '../testing/daemon-process.js';

interface SandboxRecord {
  id: string;
  slot: number;
  hostUid: number;
  ownerPid: number;
}

function recordsOf(pid: number): SandboxRecord[] {
  const dir = `${defaultHostPaths().stateDir}/sandboxes`;
  const out: SandboxRecord[] = [];
  for (const name of readdirSync(dir).filter((n) => n.endsWith('.json'))) {
    try {
      const r = JSON.parse(readFileSync(`${dir}/${name}`, 'utf8')) as SandboxRecord;
      if (r.ownerPid === pid) out.push(r);
    } catch {
      // written or removed while we read
    }
  }
  return out;
}

it('SIGTERM while the pool fills: every sandbox begun is destroyed', { timeout: 120_000 }, async () => {
  if (process.getuid?.() !== 0) throw new Error('needs root (CI runs as root)');
  const dir = mkdtempSync(`${tmpdir()}/praetor-fill-stop-`);
  const child = spawn(process.execPath, [CLI, 'serve', '--socket', `${dir}/s.sock`, '--keys', `${dir}/keys.db`, '--store', 'memory:', '--pool', '4', '--log-level', 'warn'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  for (const s of [child.stdout, child.stderr]) s?.on('data', (c: Buffer) => (output += c.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('close', (code) => resolve(code)));
  try {
    const pid = child.pid ?? -1;
    const seen = new Map<string, SandboxRecord>();
    const deadline = Date.now() + 60_000;
    while (seen.size === 0 && Date.now() < deadline) {
      for (const r of recordsOf(pid)) seen.set(r.id, r);
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    assert.ok(seen.size > 0, `no pool sandbox begun within 60 s: ${output}`);
    assert.ok(!output.includes('ready on'), 'control: stopped before the daemon was ready');
    child.kill('SIGTERM');
    const code = await exited;
    assert.equal(code, 0, output);
    for (const r of recordsOf(pid)) seen.set(r.id, r); // none should be left, but check what is
    for (const r of seen.values()) {
      // the veth goes with the namespace in a kernel work queue (destroy-leaves-nothing.test.ts)
      const left = await hostTraces(r.id, r.slot, r.hostUid);
      assert.deepEqual({ ...left, veth: false }, NO_TRACES, r.id);
    }
    assert.deepEqual(recordsOf(pid), []);
  } finally {
    child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  }
});
