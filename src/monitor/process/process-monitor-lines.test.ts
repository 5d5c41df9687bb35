// ProcessMonitor against a scripted stand-in for praetor-procmon: attribution, exits, overruns,
// bad lines, flush and start failures, without root or a kernel connector.
import { after, describe, it } from 'node:test';
import * as assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import type { ProcessExitEvent, ProcessStartEvent } from '../events.js';
import { ProcessMonitor } from './process-monitor.js';

const dir = mkdtempSync(`${tmpdir()}/procmon-fake-`);
after(() => rmSync(dir, { recursive: true, force: true }));

function fakeHelper(name: string, body: string): string {
  const path = `${dir}/${name}`;
  writeFileSync(path, `#!/bin/sh\n${body}\n`);
  chmodSync(path, 0o755);
  return path;
}

const exec = (pid: number, cg: string, argv: string): string =>
  `{"e":"exec","pid":${pid},"t":1000.5,"cg":"${cg}","exe":"/usr/bin/x","cwd":"/workspace","argv":${argv},"ppid":1,"uid":1600000000}`;

const SCRIPTED = fakeHelper(
  'scripted',
  [
    `echo '{"e":"ready","t":1,"sched":"fifo"}'`,
    `echo '${exec(100, 'praetor/sb-a/step-2', '["x","-y"]')}'`,
    `echo '${exec(101, 'praetor/sb-a/init', 'null')}'`,
    `echo 'not json'`,
    `echo '${exec(102, 'praetor/sb-a/elsewhere', '["z"]')}'`,
    `echo '{"e":"overrun","t":2}'`,
    `echo '{"e":"exit","pid":100,"t":3,"code":null,"sig":9}'`,
    `echo '{"e":"exit","pid":555,"t":3,"code":0,"sig":null}'`,
    'while read cmd n; do echo "{\\"e\\":\\"sync\\",\\"n\\":$n}"; done',
  ].join('\n'),
);

describe('ProcessMonitor (scripted helper)', () => {
  it('attributes execs and exits to sandbox and step, counts overruns, reports bad lines', async () => {
    const events: (ProcessStartEvent | ProcessExitEvent)[] = [];
    const errors: string[] = [];
    let overrunCalls = 0;
    const monitor = new ProcessMonitor({
      binaryPath: SCRIPTED,
      emit: (e) => events.push(e),
      onOverrun: () => overrunCalls++,
      onError: (m) => errors.push(m),
    });
    await monitor.start();
    await monitor.flush();
    monitor.stop();
    assert.deepEqual(events, [
      {
        kind: 'process-start', time: 1000.5, sandboxId: 'sb-a', step: 2, pid: 100, ppid: 1, uid: 1600000000,
        exe: '/usr/bin/x', argv: ['x', '-y'], cwd: '/workspace',
      },
      {
        kind: 'process-start', time: 1000.5, sandboxId: 'sb-a', step: null, pid: 101, ppid: 1, uid: 1600000000,
        exe: '/usr/bin/x', argv: null, cwd: '/workspace',
      },
      { kind: 'process-exit', time: 3, sandboxId: 'sb-a', step: 2, pid: 100, exitCode: null, signal: 9 },
    ]);
    assert.equal(monitor.overruns, 1);
    assert.equal(overrunCalls, 1);
    assert.equal(errors.length, 2, errors.join('\n'));
    assert.match(errors[0] ?? '', /bad line.*not json/);
    assert.match(errors[1] ?? '', /unknown cgroup praetor\/sb-a\/elsewhere/);
  });

  it('a throwing listener is reported, not fatal', async () => {
    const errors: string[] = [];
    const monitor = new ProcessMonitor({
      binaryPath: SCRIPTED,
      emit: () => {
        throw new Error('listener bug');
      },
      onError: (m) => errors.push(m),
    });
    await monitor.start();
    await monitor.flush();
    monitor.stop();
    assert.ok(errors.some((m) => m.includes('listener bug')));
  });

  it('rejects start when the helper is missing or dies before it is subscribed', async () => {
    const missing = new ProcessMonitor({ binaryPath: `${dir}/nope`, emit: () => undefined });
    await assert.rejects(missing.start(), /helper not found/);
    const dying = new ProcessMonitor({ binaryPath: fakeHelper('dying', 'echo "no connector here" >&2; exit 125'), emit: () => undefined });
    await assert.rejects(dying.start(), /exited \(125\): no connector here/);
  });

  it('warns when the helper could not get real-time priority', async () => {
    const errors: string[] = [];
    const monitor = new ProcessMonitor({
      binaryPath: fakeHelper('slow', `echo '{"e":"ready","t":1,"sched":"nice"}'; cat >/dev/null`),
      emit: () => undefined,
      onError: (m) => errors.push(m),
    });
    await monitor.start();
    monitor.stop();
    assert.equal(errors.length, 1);
    assert.match(errors[0] ?? '', /no real-time priority \(nice\)/);
  });

  it('reports a helper that dies after start, and refuses flush once stopped', async () => {
    const errors: string[] = [];
    const monitor = new ProcessMonitor({
      binaryPath: fakeHelper('short', `echo '{"e":"ready","t":1,"sched":"fifo"}'; read line; exit 3`),
      emit: () => undefined,
      onError: (m) => errors.push(m),
    });
    await monitor.start();
    await assert.rejects(monitor.flush(), /procmon exited/);
    assert.ok(errors.some((m) => /procmon exited \(3\)/.test(m)), errors.join('\n'));
    await assert.rejects(monitor.flush(), /not running/);
  });
});
