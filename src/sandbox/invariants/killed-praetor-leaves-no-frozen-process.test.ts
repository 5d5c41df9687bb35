// Invariant: no sandbox process outlives praetor, frozen or not. A cgroup v1 freezer holds SIGKILL
// off, so a praetor killed while its sandbox is frozen used to leave every frozen process alive
// until `praetor gc`; the sandbox's spawner now notices praetor's death and kills the cgroup.
import { it } from 'node:test';
import * as assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { pidsOfUid } from './harness.js';
import { CgroupTree, detectCgroupLayout } from '../cgroup/cgroup-tree.js';
import { sandboxDirs } from '../cgroup/cgroup-layout.js';
import { AddressPool } from '../network/address-pool.js';
import { RecordStore } from '../local/sandbox-record.js';
import { defaultHostPaths } from '../local/host-paths.js';
import { teardownSandbox } from '../local/teardown.js';

const HOLDER = fileURLToPath(new URL('./hold-sandbox.js', import.meta.url));
const DEADLINE_MS = 5000;

interface Held {
  id: string;
  slot: number;
  hostUid: number;
  dataDir: string;
}

/** Every pid listed in any of the sandbox's cgroups, in every hierarchy, leaves included. */
function cgroupPids(dirs: readonly string[]): number[] {
  const pids = new Set<number>();
  const walk = (dir: string): void => {
    if (!existsSync(dir)) return;
    for (const line of readFileSync(`${dir}/cgroup.procs`, 'utf8').split('\n')) if (line) pids.add(Number(line));
    for (const e of readdirSync(dir, { withFileTypes: true })) if (e.isDirectory()) walk(`${dir}/${e.name}`);
  };
  for (const d of dirs) walk(d);
  return [...pids];
}

/** Host pids whose /proc/PID/cgroup names the sandbox (whatever their uid). */
function procPidsOf(id: string): number[] {
  const pids: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      if (readFileSync(`/proc/${name}/cgroup`, 'utf8').includes(`/praetor/${id}/`)) pids.push(Number(name));
    } catch {
      // exited while we looked
    }
  }
  return pids;
}

it('a praetor killed while its sandbox is frozen leaves no process of it alive', async () => {
  if (process.getuid?.() !== 0) throw new Error('needs root (CI runs as root)');
  const layout = await detectCgroupLayout();
  const holder = spawn(process.execPath, [HOLDER, '--frozen'], { stdio: ['ignore', 'pipe', 'inherit'] });
  const line = await new Promise<string>((resolve, reject) => {
    createInterface({ input: holder.stdout }).once('line', resolve);
    holder.once('exit', (code) => reject(new Error(`holder exited early (${code})`)));
  });
  const held = JSON.parse(line) as Held;
  const dirs = Object.values(sandboxDirs(layout, held.id));
  try {
    // control: the daemons are there, and frozen
    assert.ok(pidsOfUid(held.hostUid).length >= 7, `expected 7 daemons, saw ${pidsOfUid(held.hostUid).length}`);
    const freezer = layout.kind === 'v2' ? `${dirs[0]}/cgroup.freeze` : `${sandboxDirs(layout, held.id).freezer}/freezer.state`;
    assert.match(readFileSync(freezer, 'utf8'), /^(1|FROZEN|FREEZING)/);

    holder.kill('SIGKILL');
    await new Promise((resolve) => holder.once('exit', resolve));
    const deadline = Date.now() + DEADLINE_MS;
    let left = { uid: pidsOfUid(held.hostUid), cgroups: cgroupPids(dirs), proc: procPidsOf(held.id) };
    while (Date.now() < deadline && (left.uid.length + left.cgroups.length + left.proc.length > 0)) {
      await new Promise((resolve) => setTimeout(resolve, 50));
      left = { uid: pidsOfUid(held.hostUid), cgroups: cgroupPids(dirs), proc: procPidsOf(held.id) };
    }
    assert.deepEqual(left, { uid: [], cgroups: [], proc: [] }, `sandbox processes outlived praetor by ${DEADLINE_MS} ms`);
  } finally {
    holder.kill('SIGKILL');
    // Only this test's sandbox is removed (other suites may hold sandboxes of their own).
    const paths = defaultHostPaths();
    await teardownSandbox(
      { id: held.id, slot: held.slot, dataDir: held.dataDir },
      { cgroups: new CgroupTree(layout), pool: new AddressPool(`${paths.stateDir}/slots`), records: new RecordStore(`${paths.stateDir}/sandboxes`), helperPath: paths.helperPath },
    );
  }
});
