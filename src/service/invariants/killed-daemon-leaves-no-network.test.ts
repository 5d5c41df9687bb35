// Invariant: a daemon killed with SIGKILL leaves its sandboxes without network and without
// processes, and `praetor gc` removes every trace, as for any praetor process.
import { it } from 'node:test';
import * as assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { slotAddresses } from '../../sandbox/network/address-pool.js';
import { NO_TRACES, hostTraces, pidsOfUid } from '../../sandbox/invariants/harness.js';
import { CLI, DaemonProcess } from '../testing/daemon-process.js';

function connectFromCell(id: string, address: string, port: number): string {
  const probe = `import socket\ns=socket.socket()\ns.settimeout(2)\nprint(s.connect_ex(('${address}', ${port})))`;
  try {
    return execFileSync('nsenter', [`--net=/run/netns/praetor-${id}`, 'python3', '-c', probe], { encoding: 'utf8' }).trim();
  } catch (err) {
    // no namespace left at all (another praetor's gc came first, see below): no network either
    if (!existsSync(`/run/netns/praetor-${id}`)) return 'no namespace';
    throw err;
  }
}

it('SIGKILL of the daemon: no proxy, no processes, and gc removes the rest', async () => {
  if (process.getuid?.() !== 0) throw new Error('needs root (CI runs as root)');
  const d = await DaemonProcess.start(['--pool', '1']);
  try {
    const made = await d.call('POST', '/v1/sandboxes', { via: 'unix', body: {} });
    const id = String(made.json.id);
    const ran = await d.call('POST', `/v1/sandboxes/${id}/exec`, { via: 'unix', body: { command: '(setsid sleep 1000 &)' } });
    assert.equal(ran.json.exitCode, 0);
    const record = JSON.parse(readFileSync(`/run/praetor/sandboxes/${id}.json`, 'utf8')) as { slot: number; hostUid: number; ownerPid: number };
    assert.equal(record.ownerPid, d.child.pid);
    const { hostAddress } = slotAddresses(record.slot);
    assert.equal(connectFromCell(id, hostAddress, 3128), '0', 'control: the proxy answers while the daemon lives');

    await d.stop('SIGKILL');
    await new Promise((resolve) => setTimeout(resolve, 300));
    assert.notEqual(connectFromCell(id, hostAddress, 3128), '0', 'the proxy still answers');
    assert.deepEqual(pidsOfUid(record.hostUid), [], 'sandbox processes outlived the daemon');

    const gc = spawnSync(process.execPath, [CLI, 'gc', '--json'], { encoding: 'utf8' });
    assert.equal(gc.status, 0, gc.stderr);
    const report = JSON.parse(gc.stdout) as { removed: string[] };
    // Every praetor daemon runs the same gc when it starts: one started by another test file at
    // the same time may have removed the sandbox first. Either way, every trace must be gone.
    assert.ok(report.removed.includes(id) || !existsSync(`/run/praetor/sandboxes/${id}.json`), gc.stdout);
    assert.deepEqual(await hostTraces(id, record.slot, record.hostUid), NO_TRACES);
  } finally {
    await d.stop('SIGKILL');
    d.cleanup();
  }
});
