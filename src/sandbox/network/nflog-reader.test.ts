// Integration: the real praetor-nflog on nfnetlink_log, in network namespaces of the test's own.
// Needs root (CI is root); never skipped: it is the proof that a flood of denials is recorded
// or counted exactly, and that the reader binds inside each namespace.
import { after, it } from 'node:test';
import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import type { DeniedAttempt, DenialsDropped } from './network-events.js';
import { NFLOG_GROUP } from './nft-ruleset.js';
import { NflogReader } from './nflog-reader.js';
import { MonitorSupervisor, type MonitorFailure } from '../monitor-source.js';

if (process.getuid?.() !== 0) {
  throw new Error('denial reader tests need root (network namespaces, nftables); run them with sudo');
}

// Not praetor-*: `praetor gc` takes those for sandbox cells.
const namespaces: string[] = [];
const readers: NflogReader[] = [];
after(() => {
  for (const r of readers) r.stop();
  for (const ns of namespaces) execFileSync('ip', ['netns', 'delete', ns]);
});

/** A namespace whose firewall logs every UDP datagram to the group and refuses it, like a cell. */
function namespace(sandboxId: string): string {
  const ns = `pnflog-test-${randomBytes(4).toString('hex')}`;
  execFileSync('ip', ['netns', 'add', ns]);
  namespaces.push(ns);
  execFileSync('ip', ['-n', ns, 'link', 'set', 'lo', 'up']);
  const ruleset = `table inet t {
  chain output { type filter hook output priority filter; policy accept;
    meta l4proto udp log prefix "praetor:${sandboxId}:4 " group ${NFLOG_GROUP} reject with icmpx admin-prohibited
  }
}
`;
  execFileSync('ip', ['netns', 'exec', ns, 'nft', '-f', '-'], { input: ruleset });
  return ns;
}

/** Sends `count` UDP datagrams from inside the namespace, each refused; returns how many were refused. */
function flood(ns: string, count: number): number {
  const script = `
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
refused = 0
for i in range(${count}):
    try:
        s.sendto(b'x', ('127.0.0.1', 1000 + i % 50000))
    except PermissionError:
        refused += 1
print(refused)
`;
  return Number(execFileSync('ip', ['netns', 'exec', ns, 'python3', '-c', script], { encoding: 'utf8' }).trim());
}

function recorder(): { denied: DeniedAttempt[]; dropped: DenialsDropped[]; listener: (e: DeniedAttempt | DenialsDropped) => void } {
  const denied: DeniedAttempt[] = [];
  const dropped: DenialsDropped[] = [];
  return { denied, dropped, listener: (e) => (e.kind === 'denied-attempt' ? denied.push(e) : dropped.push(e)) };
}

function newReader(options: ConstructorParameters<typeof NflogReader>[0] = {}): NflogReader {
  const reader = new NflogReader(options);
  readers.push(reader);
  return reader;
}

it('records every denial of a cell with its addresses, ports, protocol and step', async () => {
  const ns = namespace('sb-t1');
  const reader = newReader();
  const rec = recorder();
  await reader.addCell('sb-t1', `/run/netns/${ns}`, rec.listener);
  assert.equal(flood(ns, 2000), 2000);
  await reader.flush('sb-t1');
  assert.equal(rec.denied.length, 2000);
  assert.deepEqual(rec.dropped, []);
  const first = rec.denied[0];
  assert.ok(first);
  assert.equal(first.sandboxId, 'sb-t1');
  assert.equal(first.step, 4);
  assert.equal(first.protocol, 'udp');
  assert.equal(first.dstAddress, '127.0.0.1');
  assert.equal(first.dstPort, 1000);
  assert.deepEqual(new Set(rec.denied.map((e) => e.dstPort)).size, 2000);
});

it('counts exactly what the kernel dropped while the reader was kept off the CPU', async () => {
  const ns = namespace('sb-t2');
  // A 64 KiB buffer (the kernel doubles it) holds about 150 queued denials.
  const reader = newReader({ receiveBufferBytes: 65536 });
  const rec = recorder();
  await reader.addCell('sb-t2', `/run/netns/${ns}`, rec.listener);
  const pid = reader.pid;
  assert.ok(pid !== null);
  process.kill(pid, 'SIGSTOP');
  let refused: number;
  try {
    refused = flood(ns, 5000);
  } finally {
    process.kill(pid, 'SIGCONT');
  }
  assert.equal(refused, 5000);
  await reader.flush('sb-t2');
  const dropped = rec.dropped.reduce((sum, e) => sum + (e.dropped ?? Number.NaN), 0);
  assert.ok(dropped > 0, 'the kernel dropped nothing: the test provoked no overflow');
  // The loss was at the end of the burst: no later denial shows it as a gap, the counter does.
  assert.equal(rec.denied.length + dropped, 5000, `${rec.denied.length} recorded + ${dropped} dropped`);
});

it('a dead reader is reported (count unknown, monitor down), restarted by its supervisor, and binds the cell again', async () => {
  const ns = namespace('sb-t3');
  const reader = newReader();
  const downs: MonitorFailure[] = [];
  const ups: string[] = [];
  const supervisor = new MonitorSupervisor(reader, { onDown: (f) => downs.push(f), onUp: (m) => ups.push(m) });
  await supervisor.start();
  const rec = recorder();
  await reader.addCell('sb-t3', `/run/netns/${ns}`, rec.listener);
  const pid = reader.pid;
  assert.ok(pid !== null);
  process.kill(pid, 'SIGKILL');
  const deadline = Date.now() + 5000;
  while (ups.length === 0) {
    assert.ok(Date.now() < deadline, `not restarted; down: ${JSON.stringify(downs)}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  assert.equal(downs.length, 1);
  assert.equal(downs[0]?.monitor, 'denial-reader');
  assert.match(downs[0]?.reason ?? '', /praetor-nflog exited \(SIGKILL\)/);
  assert.deepEqual(downs[0]?.sandboxIds, ['sb-t3']);
  assert.deepEqual(ups, ['denial-reader']);
  assert.ok(reader.pid !== null && reader.pid !== pid, 'a new helper runs');
  assert.deepEqual(rec.dropped.map((e) => e.dropped), [null]);
  // bound again before onUp: every denial from now on is recorded
  assert.equal(flood(ns, 10), 10);
  await reader.flush('sb-t3');
  assert.equal(rec.denied.length, 10);
  supervisor.stop();
  assert.equal(reader.pid, null);
  assert.equal(downs.length, 1, 'a stop on purpose is no outage');
});

it('refuses a cell whose group another socket holds, and lets the namespace go on removal', async () => {
  const ns = namespace('sb-t4');
  const first = newReader();
  await first.addCell('sb-t4', `/run/netns/${ns}`, () => undefined);
  const bound = (): string => execFileSync('ip', ['netns', 'exec', ns, 'cat', '/proc/net/netfilter/nfnetlink_log'], { encoding: 'utf8' });
  assert.match(bound(), new RegExp(`^\\s*${NFLOG_GROUP}\\s`, 'm'));
  const second = newReader();
  await assert.rejects(second.addCell('sb-t4', `/run/netns/${ns}`, () => undefined), /can not be recorded: bind nflog group/);
  await first.removeCell('sb-t4');
  assert.equal(bound().trim(), '');
});
