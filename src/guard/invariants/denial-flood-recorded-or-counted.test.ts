// Invariant: a flood of denied packets can not blind the network record. 10,000 denied packets in
// under a second from one sandbox are each recorded, or the record counts exactly how many the
// kernel dropped and the guard raises network-record-overflow; and the host's kernel log loses
// nothing because of praetor (denials no longer pass through it at all).
import { after, before, it } from 'node:test';
import * as assert from 'node:assert/strict';
import { closeSync, constants, openSync, readFileSync, readSync, readdirSync } from 'node:fs';
import { Guard } from '../guard.js';
import type { LocalSandbox } from '../../sandbox/local/local-sandbox.js';
import type { DeniedAttempt, NetworkEvent } from '../../sandbox/network/network-events.js';
import { newBackend } from '../../sandbox/invariants/harness.js';

const FLOOD = 10_000;
const FIRST_PORT = 20_000;

// Monitor mode: the flood also looks like a scan, and a guard that killed the step would cut it short.
const guard = new Guard({ policy: { mode: 'monitor' } });
const backend = newBackend({ observer: guard });
// A small buffer for the reader (the kernel doubles it: about 150 queued denials), for the test
// that keeps the reader off the CPU during the flood.
const smallBuffer = newBackend({ observer: guard, denialBufferBytes: 65536 });
before(() => guard.start());
after(async () => {
  await backend.close();
  await smallBuffer.close();
  await guard.stop();
});

/**
 * Follows /dev/kmsg from now on, as dmesg does: a read that finds its next record overwritten
 * fails with EPIPE, so lost host records are seen, not guessed.
 */
class KernelLogWatch {
  private readonly fd = openSync('/dev/kmsg', constants.O_RDONLY | constants.O_NONBLOCK);
  constructor() {
    this.read(); // skip what was logged before
  }

  /** The records logged since the last call, and how many times some were overwritten unread. */
  read(): { records: string[]; overwritten: number } {
    const buf = Buffer.alloc(8192);
    const records: string[] = [];
    let overwritten = 0;
    for (;;) {
      try {
        const n = readSync(this.fd, buf, 0, buf.length, null);
        records.push(buf.toString('utf8', 0, n));
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        if (code === 'EAGAIN') return { records, overwritten };
        if (code !== 'EPIPE') throw err;
        overwritten++;
      }
    }
  }

  close(): void {
    closeSync(this.fd);
  }
}

/** Sends FLOOD UDP datagrams to distinct ports of the cell's host side; prints how many were refused and the seconds it took. */
function floodScript(address: string): string {
  return `
import socket, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
refused = 0
start = time.monotonic()
for port in range(${FIRST_PORT}, ${FIRST_PORT + FLOOD}):
    try:
        s.sendto(b'x', ('${address}', port))
    except PermissionError:
        refused += 1
print(refused, time.monotonic() - start)
`;
}

async function flood(
  sandbox: LocalSandbox,
  report?: (line: string) => void,
  during?: { start: () => void; end: () => void },
): Promise<number> {
  during?.start();
  let out: string;
  let step: number;
  try {
    const r = await sandbox.exec(['python3', '-c', floodScript(sandbox.hostInfo().hostAddress)]);
    out = r.stdout.toString();
    step = r.step;
    assert.equal(r.exitCode, 0, r.stderr.toString());
  } finally {
    during?.end();
  }
  const [refused, seconds] = out.trim().split(' ').map(Number);
  report?.(`flood of ${refused} denied datagrams in ${seconds?.toFixed(3)} s`);
  assert.equal(refused, FLOOD, `every datagram must be denied: ${out}`);
  // The stimulus, not a speed target: a slower flood would not be the flood this test is about.
  assert.ok(seconds !== undefined && seconds < 1, `the flood took ${seconds} s, not under a second`);
  return step;
}

interface Accounting {
  readonly recorded: DeniedAttempt[];
  readonly dropped: number;
}

function account(sandbox: LocalSandbox, step: number): Accounting {
  const { hostAddress } = sandbox.hostInfo();
  const events: readonly NetworkEvent[] = sandbox.networkEvents();
  const recorded = events.filter(
    (e): e is DeniedAttempt =>
      e.kind === 'denied-attempt' &&
      e.protocol === 'udp' &&
      e.dstAddress === hostAddress &&
      e.dstPort !== null &&
      e.dstPort >= FIRST_PORT &&
      e.dstPort < FIRST_PORT + FLOOD,
  );
  for (const e of recorded) assert.equal(e.step, step);
  assert.equal(new Set(recorded.map((e) => e.dstPort)).size, recorded.length, 'a denial recorded twice');
  let dropped = 0;
  for (const e of events) {
    if (e.kind !== 'denials-dropped') continue;
    assert.ok(e.dropped !== null, 'a count of drops that is not known');
    dropped += e.dropped;
  }
  return { recorded, dropped };
}

function assertKernelLogUntouched(kmsg: KernelLogWatch, sandboxId: string): void {
  const { records, overwritten } = kmsg.read();
  assert.equal(overwritten, 0, 'host kernel log records were overwritten unread during the flood');
  // Only this sandbox's: other praetor builds on this host may still log their own denials there.
  const ours = records.filter((r) => r.includes(sandboxId));
  assert.deepEqual(ours.slice(0, 3), [], `praetor wrote ${ours.length} records into the kernel log`);
}

it('10,000 denied packets in under a second are each recorded, or counted exactly with an alert, and the kernel log is untouched', async (t) => {
  const sandbox = await backend.create();
  const kmsg = new KernelLogWatch();
  try {
    const step = await flood(sandbox, (l) => t.diagnostic(l));
    await sandbox.flushNetworkEvents();
    await guard.settle();
    const { recorded, dropped } = account(sandbox, step);
    t.diagnostic(`${recorded.length} recorded, ${dropped} counted as dropped`);
    assert.equal(recorded.length + dropped, FLOOD, `${recorded.length} recorded + ${dropped} counted as dropped`);
    if (dropped > 0) assert.ok(guard.alerts(sandbox.id).some((a) => a.ruleId === 'network-record-overflow'), 'drops without an alert');
    assertKernelLogUntouched(kmsg, sandbox.id);
  } finally {
    kmsg.close();
  }
});

/** The denial reader of the small-buffer backend: a child of this process started with --rcvbuf 65536. */
function smallBufferReaderPid(): number {
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      const argv = readFileSync(`/proc/${name}/cmdline`, 'utf8').split('\0');
      if (ppid === process.pid && argv[0]?.endsWith('/praetor-nflog') && argv.includes('65536')) return Number(name);
    } catch {
      // exited while we looked
    }
  }
  throw new Error('no praetor-nflog with --rcvbuf 65536 among this process children');
}

it('when the kernel has to drop denials, the record counts them exactly and the guard raises network-record-overflow', async (t) => {
  const sandbox = await smallBuffer.create();
  const reader = smallBufferReaderPid();
  const kmsg = new KernelLogWatch();
  try {
    // The reader kept off the CPU for the whole flood: the kernel can queue only the first few.
    const step = await flood(sandbox, (l) => t.diagnostic(l), { start: () => process.kill(reader, 'SIGSTOP'), end: () => process.kill(reader, 'SIGCONT') });
    await sandbox.flushNetworkEvents();
    await guard.settle();
    const { recorded, dropped } = account(sandbox, step);
    t.diagnostic(`${recorded.length} recorded, ${dropped} counted as dropped`);
    assert.ok(dropped > FLOOD / 2, `the kernel dropped only ${dropped}: the test provoked no overflow`);
    assert.equal(recorded.length + dropped, FLOOD, `${recorded.length} recorded + ${dropped} counted as dropped`);
    const alert = guard.alerts(sandbox.id).find((a) => a.ruleId === 'network-record-overflow');
    assert.ok(alert, 'no network-record-overflow alert');
    assert.equal(alert.technique, 'T1562.006');
    assertKernelLogUntouched(kmsg, sandbox.id);
  } finally {
    kmsg.close();
  }
});
