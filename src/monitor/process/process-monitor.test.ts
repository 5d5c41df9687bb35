// Integration: the real helper on the kernel's process events connector, with real sandboxes.
// Needs root (CI is root); never skipped, since it is the proof that short-lived execs are seen.
import { after, before, it } from 'node:test';
import * as assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { defaultHostPaths } from '../../sandbox/local/host-paths.js';
import { tmpdir } from 'node:os';
import { LocalBackend } from '../../sandbox/local/local-backend.js';
import type { ProcessExitEvent, ProcessStartEvent } from '../events.js';
import { defaultProcmonPath, ProcessMonitor } from './process-monitor.js';

if (process.getuid?.() !== 0) {
  throw new Error('process monitor tests need root (the process events connector and sandboxes); run them with sudo');
}

const events: (ProcessStartEvent | ProcessExitEvent)[] = [];
const errors: string[] = [];
const monitor = new ProcessMonitor({ emit: (e) => events.push(e), onError: (m) => errors.push(m) });
const backend = new LocalBackend();

before(() => monitor.start());
after(async () => {
  await backend.close();
  monitor.stop();
});

function starts(sandboxId: string): ProcessStartEvent[] {
  return events.filter((e): e is ProcessStartEvent => e.kind === 'process-start' && e.sandboxId === sandboxId);
}

async function waitFor<T>(what: string, find: () => T | undefined, timeoutMs = 5000, from = monitor): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    await from.flush();
    const found = find();
    if (found !== undefined) return found;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

// At idle the helper misses none of 3000 such execs; on a 2-CPU CI host running other test files it
// has missed 1 of 50 (a process reaped before /proc could be read: docs/monitoring.md). The bound
// below is that measured limit, not a hope: 2 or more misses fail.
it('sees short-lived execs (at most 1 in 50 missed under load), with their real exe where /proc could still be read', async () => {
  const sandbox = await backend.create();
  // bash, not dash: dash's exec has no -a
  const r = await sandbox.exec(['bash', '-c', 'for i in $(seq 50); do /bin/true; done; exec -a renamed-miner sleep 0.2']);
  assert.equal(r.exitCode, 0, r.stderr.toString());
  await monitor.flush();

  const mine = starts(sandbox.id);
  const trues = mine.filter((e) => e.exe?.endsWith('/true'));
  // An exec whose process was gone before /proc could be read is still reported, with exe null.
  const unread = mine.filter((e) => e.step === r.step && e.exe === null);
  assert.ok(trues.length + unread.length >= 49, `saw ${trues.length} of 50 /bin/true execs, ${unread.length} more without their exe`);
  for (const e of trues) {
    assert.equal(e.step, r.step);
    assert.deepEqual(e.argv, ['/bin/true']);
    assert.equal(e.cwd, '/workspace');
  }
  const miner = mine.find((e) => e.argv?.[0] === 'renamed-miner');
  assert.ok(miner, 'the renamed process was seen');
  assert.match(miner.exe ?? '', /\/sleep$/, 'a renamed argv[0] can not hide the real executable');
  assert.deepEqual(miner.argv, ['renamed-miner', '0.2']);
  assert.equal(miner.step, r.step);
  // the kernel reports an exit just after waking the parent, so it may trail the exec's result
  const minerExit = await waitFor('the renamed process\'s exit', () =>
    events.find((e): e is ProcessExitEvent => e.kind === 'process-exit' && e.pid === miner.pid),
  );
  assert.deepEqual(
    { sandboxId: minerExit.sandboxId, step: minerExit.step, exitCode: minerExit.exitCode, signal: minerExit.signal },
    { sandboxId: sandbox.id, step: r.step, exitCode: 0, signal: null },
  );
});

it("praetor's own exec helper is never filed under a step, and the commands it runs still are", async () => {
  const helper = realpathSync(defaultHostPaths().helperPath);
  const own: ProcessStartEvent[] = [];
  const filtered = new ProcessMonitor({ emit: (e) => e.kind === 'process-start' && own.push(e), ownHelpers: [helper] });
  await filtered.start();
  try {
    const sandbox = await backend.create();
    const steps: number[] = [];
    // Without the filter about 3 in 100 of these execs file the helper under the step (measured).
    for (let i = 0; i < 100; i++) steps.push((await sandbox.exec(['/bin/true'])).step);
    await filtered.flush();
    const mine = own.filter((e) => e.sandboxId === sandbox.id);
    assert.deepEqual(mine.filter((e) => e.exe === helper), [], 'no event names the helper');
    const seen = new Set(mine.filter((e) => e.exe?.endsWith('/true')).map((e) => e.step));
    assert.ok(steps.filter((s) => seen.has(s)).length >= 98, `the commands are reported: ${seen.size} of 100 steps`);
  } finally {
    filtered.stop();
  }
});

it('argv with quotes, backslashes, control characters and invalid UTF-8 arrives intact', async () => {
  const sandbox = await backend.create();
  // argv[0] bytes: q " b \ s 0x01 0xff é ; an invalid byte arrives as the code point of the same value
  const r = await sandbox.exec(['bash', '-c', 'exec -a "$(printf \'q"b\\\\s\\001\\377\\303\\251\')" sleep 0']);
  assert.equal(r.exitCode, 0, r.stderr.toString());
  const seen = await waitFor('the odd argv', () => starts(sandbox.id).find((e) => e.exe?.endsWith('/sleep')));
  assert.deepEqual(seen.argv, ['q"b\\s\u0001\u00ffé', '0']);
});

it('a daemon started in step 1 that execs later, during step 3, is still step 1', async () => {
  const sandbox = await backend.create();
  const first = await sandbox.exec(['sh', '-c', "(setsid sh -c 'sleep 1; /bin/echo late' &)"]);
  const second = await sandbox.exec(['true']);
  const third = await sandbox.exec(['true']);
  const thirdReturnedAt = Date.now();
  assert.deepEqual([first.step, second.step, third.step], [1, 2, 3]);
  const late = await waitFor('the daemon\'s echo', () => starts(sandbox.id).find((e) => e.exe?.endsWith('/echo')));
  assert.deepEqual(late.argv, ['/bin/echo', 'late']);
  assert.equal(late.step, 1);
  assert.ok(late.time > thirdReturnedAt - 5, 'the echo ran after step 3 had begun');
});

it('host processes outside sandboxes produce no events', async () => {
  const marker = `praetor-host-probe-${process.pid}`;
  const pids: number[] = [];
  for (const argv of [['bash', '-c', `exec -a ${marker} sleep 0.05`], ['/bin/true']]) {
    const child = spawn(argv[0] ?? '', argv.slice(1), { stdio: 'ignore' });
    pids.push(child.pid ?? -1);
    await new Promise((resolve) => child.on('exit', resolve));
  }
  await monitor.flush();
  const seen = events.filter((e) => pids.includes(e.pid) || (e.kind === 'process-start' && e.argv?.includes(marker)));
  assert.deepEqual(seen, []);
});

it('reports an overrun when the kernel drops events, and the exits it lost once the process is gone', async (t) => {
  // a second helper with a tiny socket buffer, stopped while events pile up
  const wrapper = mkdtempSync(`${tmpdir()}/procmon-overrun-`);
  t.after(() => rmSync(wrapper, { recursive: true, force: true }));
  writeFileSync(`${wrapper}/procmon`, `#!/bin/sh\nexec '${defaultProcmonPath()}' --rcvbuf 4096\n`, { mode: 0o755 });
  const lossy: (ProcessStartEvent | ProcessExitEvent)[] = [];
  let overrunCalls = 0;
  const small = new ProcessMonitor({ binaryPath: `${wrapper}/procmon`, emit: (e) => lossy.push(e), onOverrun: () => overrunCalls++ });
  await small.start();
  t.after(() => small.stop());
  const helperPid = Number(execFileSync('pgrep', ['-P', String(process.pid), '-f', '--', '--rcvbuf 4096'], { encoding: 'utf8' }).trim());

  const sandbox = await backend.create();
  await sandbox.exec(['sh', '-c', "(setsid sh -c 'exec sleep 0.5' &)"]);
  const daemon = await waitFor('the daemon', () => lossy.find((e): e is ProcessStartEvent => e.kind === 'process-start' && e.argv?.[0] === 'sleep'), 5000, small);
  process.kill(helperPid, 'SIGSTOP');
  try {
    execFileSync('sh', ['-c', 'for i in $(seq 100); do /bin/true; done']); // fills the buffer
    while (existsSync(`/proc/${daemon.pid}`)) await new Promise((resolve) => setTimeout(resolve, 20));
  } finally {
    process.kill(helperPid, 'SIGCONT');
  }
  // Other tests run sandboxes meanwhile: if the daemon's pid was reused while the helper was
  // stopped, its lost exit can no longer be told from the newcomer's, so only the overrun counts.
  const reused = () => lossy.some((e) => e.kind === 'process-start' && e.pid === daemon.pid && e !== daemon);
  const lost = await waitFor(
    'the lost exit',
    () => lossy.find((e) => e.kind === 'process-exit' && e.pid === daemon.pid && e.sandboxId === sandbox.id) ?? (reused() ? daemon : undefined),
    5000,
    small,
  );
  await waitFor('the overrun report', () => (small.overruns >= 1 ? true : undefined), 5000, small);
  assert.equal(overrunCalls, small.overruns);
  if (lost !== daemon) {
    assert.deepEqual(lost, { kind: 'process-exit', time: lost.time, sandboxId: sandbox.id, step: 1, pid: daemon.pid, exitCode: null, signal: null });
  }
});

it('lost no events and reported no errors', () => {
  assert.equal(monitor.overruns, 0);
  assert.deepEqual(errors, []);
});
