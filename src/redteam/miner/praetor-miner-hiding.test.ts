// The miner's hiding behaviours, measured from /proc: --background detaches and --name renames
// it (comm and argv), and --max-cpu-usage keeps it "low and slow".
import * as assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { availableParallelism, loadavg } from 'node:os';
import { after, before, describe, it } from 'node:test';
import { minerArgv } from './miner-argv.js';
import { close, cpuShare, cpuUse, MINER, NO_PROXY_ENV, pidsByComm, runMiner, startPool, WALLET } from '../../testing/miner-test-kit.js';

async function until<T>(probe: () => T | undefined, ms: number): Promise<T | undefined> {
  for (const end = Date.now() + ms; Date.now() < end; await new Promise((r) => setTimeout(r, 50))) {
    const v = probe();
    if (v !== undefined) return v;
  }
  return probe();
}

/** ppid and session id from /proc/PID/stat. */
function parentAndSession(pid: number): [number, number] {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ').map(Number);
  return [fields[1] ?? -1, fields[3] ?? -1];
}

describe('praetor-miner hiding', () => {
  let pool: Awaited<ReturnType<typeof startPool>>;
  before(async () => {
    pool = await startPool();
  });
  after(() => close(pool.server));

  it('--background returns at once; the renamed daemon keeps hashing and submitting until killed', async () => {
    const name = `[kworker/u${process.pid % 100}:7]`;
    assert.deepEqual(pidsByComm(name), [], 'no process has the name yet');
    const run = await runMiner({ pool: `127.0.0.1:${pool.port}`, user: WALLET, background: true, name, runSeconds: 30 });
    assert.equal(run.code, 0);
    // Returns instead of running its 30 s: the bound tells the two apart, it does not time the start.
    assert.ok(run.ms < 10_000, `returned in ${run.ms} ms`);
    assert.equal(run.stderr, '', 'the daemon closed its stdio');
    const pid = await until(() => pidsByComm(name)[0], 2000);
    if (pid === undefined) return assert.fail(`no process whose comm is ${name}`);
    try {
      assert.equal(readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0')[0], name, 'ps shows the new name');
      const [ppid, sid] = parentAndSession(pid);
      assert.notEqual(ppid, process.pid, 'reparented away from its starter');
      assert.notEqual(sid, parentAndSession(process.pid)[1], 'left our session (setsid)');
      assert.notEqual(sid, pid, 'not a session leader: forked again after setsid');
      const share = await cpuShare(pid, 1000);
      assert.ok(share > 0.1, `the daemon hashes: ${share.toFixed(2)} of a core`);
      const shares = await until(() => (pool.stats().shares > 0 ? pool.stats().shares : undefined), 5000);
      assert.ok(shares !== undefined && pool.stats().workers.includes(WALLET), 'the daemon submitted verified shares');
    } finally {
      process.kill(pid, 'SIGKILL');
    }
    assert.equal(await until(() => (pidsByComm(name).length === 0 ? true : undefined), 2000), true, 'killed');
  });

  it('--max-cpu-usage 20 holds a thread near a fifth of a core; unthrottled wants a whole one', async () => {
    const measure = async (maxCpuUsage?: number): Promise<{ cpu: number; demand: number }> => {
      const args = minerArgv({ pool: `127.0.0.1:${pool.port}`, user: WALLET, runSeconds: 6, ...(maxCpuUsage ? { maxCpuUsage } : {}) });
      const child = spawn(MINER, args, { env: NO_PROXY_ENV, stdio: 'ignore' });
      try {
        await new Promise((r) => setTimeout(r, 1000)); // past start-up
        if (child.pid === undefined) return assert.fail('the miner did not start');
        return await cpuUse(child.pid, 2000);
      } finally {
        child.kill('SIGKILL');
      }
    };
    const throttled = await measure(20);
    const unthrottled = await measure();
    const pct = (x: number): string => `${(x * 100).toFixed(0)}%`;
    const seen = `throttled cpu ${pct(throttled.cpu)}, unthrottled cpu ${pct(unthrottled.cpu)} demand ${pct(unthrottled.demand)}`;
    // The throttle counts the thread's own CPU time, so 20% is an upper bound on any machine.
    assert.ok(throttled.cpu > 0.05 && throttled.cpu < 0.35, seen);
    // Unthrottled, the thread never sleeps: it is always on a CPU or queued for one.
    assert.ok(unthrottled.demand > 0.9, seen);
    // How much of that it gets depends on the neighbours: a whole core only when one is free.
    if ((loadavg()[0] ?? Infinity) < availableParallelism() - 1) assert.ok(unthrottled.cpu > 0.7, seen);
    else assert.ok(unthrottled.cpu > throttled.cpu, seen);
  });
});
