// Invariant: a one-shot `praetor run` without a daemon leaves nothing behind. When it returns: no
// network namespace, cgroup, mount, data directory, record, address slot or process of its sandbox,
// and none of its helper processes (process monitor, file monitor, denial reader, spawners) alive,
// even with a daemon started inside the sandbox. When it is killed (SIGKILL, nothing of it runs
// again): every helper and every sandbox process is gone within seconds (the namespace and cgroups
// stay for `praetor gc`, as documented; this test removes its own). Needs root.
import { it } from 'node:test';
import * as assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import { CLI } from '../../testing/praetord-process.js';
import { NO_TRACES, hostTraces, pidsOfUid } from '../../sandbox/invariants/harness.js';
import { CgroupTree, detectCgroupLayout } from '../../sandbox/cgroup/cgroup-tree.js';
import { AddressPool } from '../../sandbox/network/address-pool.js';
import { RecordStore } from '../../sandbox/local/sandbox-record.js';
import { defaultHostPaths } from '../../sandbox/local/host-paths.js';
import { teardownSandbox } from '../../sandbox/local/teardown.js';

const DEADLINE_MS = 5000;

interface Record {
  id: string;
  slot: number;
  hostUid: number;
  ownerPid: number;
  dataDir: string;
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

function runCli(args: readonly string[]): { child: ChildProcess; done: Promise<{ code: number | null; stderr: string }> } {
  // --local: a praetord another suite started must not take the run
  const child = spawn(process.execPath, [CLI, 'run', '--local', ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr?.on('data', (c: Buffer) => (stderr += c.toString()));
  const done = new Promise<{ code: number | null; stderr: string }>((resolve) => child.once('close', (code) => resolve({ code, stderr })));
  return { child, done };
}

/** The record of the sandbox that `pid` owns, once it is written. */
async function recordOf(pid: number): Promise<Record> {
  const dir = `${defaultHostPaths().stateDir}/sandboxes`;
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    for (const name of readdirSync(dir).filter((n) => n.endsWith('.json'))) {
      try {
        const r = JSON.parse(readFileSync(`${dir}/${name}`, 'utf8')) as Record;
        if (r.ownerPid === pid) return r;
      } catch {
        // written or removed while we read
      }
    }
    await sleep(20);
  }
  throw new Error(`no sandbox record of pid ${pid} within 60 s`);
}

/** Live (not zombie) children of `pid`: praetor's helper processes and its sandboxes' launchers. */
function liveChildren(pid: number): number[] {
  const out: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      const [state, ppid] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (Number(ppid) === pid && state !== 'Z') out.push(Number(name));
    } catch {
      // exited while we looked
    }
  }
  return out;
}

function alive(pids: readonly number[]): number[] {
  return pids.filter((p) => {
    try {
      const stat = readFileSync(`/proc/${p}/stat`, 'utf8');
      return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
    } catch {
      return false;
    }
  });
}

/** The run's children once its sandbox runs the command: monitors, denial reader, spawners. */
async function helpersOf(pid: number, hostUid: number): Promise<number[]> {
  let helpers = liveChildren(pid);
  const until = Date.now() + 10_000; // the sandbox's spawner comes with its first exec
  while ((helpers.length < 5 || pidsOfUid(hostUid).length < 2) && Date.now() < until) {
    await sleep(20);
    helpers = liveChildren(pid);
  }
  return helpers;
}

it('a one-shot run leaves no namespace, cgroup, mount, record, sandbox process or helper behind', async () => {
  if (process.getuid?.() !== 0) throw new Error('needs root (CI runs as root)');
  const { child, done } = runCli(['--', 'sh', '-c', '(setsid sleep 600 &); nohup sleep 600 >/dev/null 2>&1 & sleep 2']);
  const record = await recordOf(child.pid ?? -1);
  const helpers = await helpersOf(child.pid ?? -1, record.hostUid);
  // control: the probes see the live run
  assert.ok(helpers.length >= 5, `expected the monitors, denial reader and spawner, saw ${helpers.length} children`);
  assert.ok((await hostTraces(record.id, record.slot, record.hostUid)).netns);
  const { code, stderr } = await done;
  assert.equal(code, 0, stderr);
  assert.deepEqual(alive(helpers), [], 'helper processes outlived praetor run');
  const left = await hostTraces(record.id, record.slot, record.hostUid);
  // the veth goes with the namespace in a kernel work queue (destroy-leaves-nothing.test.ts)
  assert.deepEqual({ ...left, veth: false }, NO_TRACES);
});

it('a SIGKILLed one-shot run leaves no helper or sandbox process alive', async () => {
  if (process.getuid?.() !== 0) throw new Error('needs root (CI runs as root)');
  const { child, done } = runCli(['--', 'sh', '-c', '(setsid sleep 600 &); sleep 600']);
  const record = await recordOf(child.pid ?? -1);
  try {
    const helpers = await helpersOf(child.pid ?? -1, record.hostUid);
    assert.ok(helpers.length >= 5, `expected monitors, denial reader and spawners, saw ${helpers.length} children`);
    assert.ok(pidsOfUid(record.hostUid).length >= 2, 'the sandbox runs its sleeps');
    child.kill('SIGKILL');
    await done;
    const deadline = Date.now() + DEADLINE_MS;
    let left = { helpers: alive(helpers), sandbox: pidsOfUid(record.hostUid) };
    while (Date.now() < deadline && left.helpers.length + left.sandbox.length > 0) {
      await sleep(50);
      left = { helpers: alive(helpers), sandbox: pidsOfUid(record.hostUid) };
    }
    assert.deepEqual(left, { helpers: [], sandbox: [] }, `processes outlived a killed praetor run by ${DEADLINE_MS} ms`);
  } finally {
    child.kill('SIGKILL');
    // Only this test's sandbox is removed (other suites may hold sandboxes of their own).
    const paths = defaultHostPaths();
    await teardownSandbox(
      { id: record.id, slot: record.slot, dataDir: record.dataDir },
      {
        cgroups: new CgroupTree(await detectCgroupLayout()),
        pool: new AddressPool(`${paths.stateDir}/slots`),
        records: new RecordStore(`${paths.stateDir}/sandboxes`),
        helperPath: paths.helperPath,
      },
    );
  }
});
