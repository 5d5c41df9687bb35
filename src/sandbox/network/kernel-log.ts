// Reads the nftables denial records of network cells from the kernel log. nft's `log` inside a
// network namespace reaches the kernel log once net.netfilter.nf_log_all_netns=1; `dmesg -W`
// follows /dev/kmsg without the threadpool-blocking reads a plain fs stream would do.
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync, writeSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import { randomBytes } from 'node:crypto';
import type { DeniedAttempt } from './network-events.js';
import { FailureListeners, type MonitorFailureListener, type MonitorSource } from '../monitor-source.js';

const PREFIX_RE = /praetor:([A-Za-z0-9-]+):(\d+|-) (.*)$/;
const ISO_RE = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d),(\d{3})\d*([+-]\d\d:\d\d)\s/;

/** Parses one `dmesg --time-format iso` line holding a cell denial; null for any other line. */
export function parseDenialLine(line: string, fallbackTime = Date.now()): DeniedAttempt | null {
  const m = PREFIX_RE.exec(line);
  if (!m) return null;
  const [, sandboxId = '', step = '-', rest = ''] = m;
  const fields = new Map<string, string>();
  for (const token of rest.split(/\s+/)) {
    const eq = token.indexOf('=');
    if (eq > 0) fields.set(token.slice(0, eq), token.slice(eq + 1));
  }
  const dst = fields.get('DST');
  if (dst === undefined) return null;
  const proto = (fields.get('PROTO') ?? '').toUpperCase();
  const protocol =
    proto === 'TCP' ? 'tcp' : proto === 'UDP' ? 'udp' : proto === 'ICMP' || proto === 'ICMPV6' ? 'icmp' : 'other';
  const port = (key: string): number | null => {
    const v = fields.get(key);
    return v === undefined ? null : Number(v);
  };
  const iso = ISO_RE.exec(line);
  const time = iso ? Date.parse(`${iso[1]}.${iso[2]}${iso[3]}`) : fallbackTime;
  return {
    kind: 'denied-attempt',
    sandboxId,
    step: step === '-' ? null : Number(step),
    time: Number.isNaN(time) ? fallbackTime : time,
    protocol,
    srcAddress: fields.get('SRC') ?? '',
    srcPort: port('SPT'),
    dstAddress: dst,
    dstPort: port('DPT'),
  };
}

export type DenialListener = (attempt: DeniedAttempt) => void;

/** One follower per praetor process; sandboxes subscribe by id. */
export class KernelLogFollower implements MonitorSource {
  readonly name = 'kernel-log';
  private child: ChildProcess | null = null;
  private readonly failures = new FailureListeners();
  private readonly listeners = new Map<string, DenialListener>();
  private readonly waiters = new Map<string, () => void>();
  private pendingFlush: Promise<void> | null = null;

  async start(): Promise<void> {
    if (this.child) return;
    await writeFile('/proc/sys/net/netfilter/nf_log_all_netns', '1');
    const child = spawn('dmesg', ['--follow-new', '--time-format', 'iso', '--kernel', '--userspace'], {
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    this.child = child;
    child.unref();
    // A dmesg that dies while followed blinds the network record: reported, so the guard holds the
    // sandboxes and the backend restarts it.
    let following = false;
    child.once('exit', (code, signal) => {
      if (this.child !== child || !following) return;
      this.child = null;
      for (const [marker, resolve] of this.waiters) if (marker.startsWith('praetor-log-flush:')) resolve();
      this.failures.emit({ monitor: this.name, reason: `dmesg exited (${code ?? signal})`, time: Date.now(), sandboxIds: null });
    });
    (child.stdout as NodeJS.ReadableStream & { unref?: () => void }).unref?.();
    const lines = createInterface({ input: child.stdout });
    lines.on('line', (line) => this.onLine(line));
    // dmesg opens /dev/kmsg a moment after spawn; a marker we log ourselves proves it is reading.
    const marker = `praetor-log-ready:${randomBytes(6).toString('hex')}`;
    const ready = new Promise<void>((resolve) => this.waiters.set(marker, resolve));
    const deadline = Date.now() + 5000;
    while (Date.now() < deadline) {
      this.mark(marker);
      const seen = await within(ready, 20);
      if (seen && child.exitCode === null) {
        following = true;
        return;
      }
      if (child.exitCode !== null) break;
    }
    this.stop();
    throw new Error('could not follow the kernel log (dmesg --follow-new): denied attempts would go unrecorded');
  }

  /**
   * Resolves once every kernel record logged before the call has been delivered: the kernel log
   * is ordered, so seeing a marker written after the call means everything before it was read.
   * Callers that arrive before the marker is written share it: many sandboxes stepping at once
   * cost one kernel write, not one each.
   */
  flush(timeoutMs = 2000): Promise<void> {
    if (!this.child) return Promise.resolve();
    this.pendingFlush ??= new Promise<void>((resolve, reject) => {
      setImmediate(() => {
        this.pendingFlush = null; // later callers need a marker written after them
        this.writeMarker(timeoutMs).then(resolve, reject);
      });
    });
    return this.pendingFlush;
  }

  private async writeMarker(timeoutMs: number): Promise<void> {
    const marker = `praetor-log-flush:${randomBytes(6).toString('hex')}`;
    const seen = new Promise<void>((resolve) => this.waiters.set(marker, resolve));
    this.mark(marker);
    const ok = await within(seen, timeoutMs);
    this.waiters.delete(marker);
    if (!ok) throw new Error(`kernel log did not catch up within ${timeoutMs} ms`);
  }

  onFailure(listener: MonitorFailureListener): () => void {
    return this.failures.add(listener);
  }

  subscribe(sandboxId: string, listener: DenialListener): () => void {
    this.listeners.set(sandboxId, listener);
    return () => this.listeners.delete(sandboxId);
  }

  stop(): void {
    this.child?.kill();
    this.child = null;
  }

  /**
   * Writes a marker line, synchronously: a write to /dev/kmsg copies a line into the kernel's ring
   * buffer and never blocks, and markers go out at every step, where appendFile's open, write and
   * close would cost three thread-pool round trips. The file is opened for each marker because
   * the kernel rate-limits writers per open file (printk_devkmsg=ratelimit, the default).
   */
  private mark(marker: string): void {
    const fd = openSync('/dev/kmsg', 'w');
    try {
      writeSync(fd, `${marker}\n`);
    } finally {
      closeSync(fd);
    }
  }

  private onLine(line: string): void {
    for (const [marker, resolve] of this.waiters) {
      if (line.includes(marker)) {
        this.waiters.delete(marker);
        resolve();
        return;
      }
    }
    const attempt = parseDenialLine(line);
    if (attempt) this.listeners.get(attempt.sandboxId)?.(attempt);
  }
}

/**
 * True when `promise` settles within `ms`, false otherwise. The timer is cleared either way: a
 * pending one would hold the event loop, and praetor's exit, for the whole of `ms` (a one-shot
 * `praetor run` waited out the 2 s flush timeout after its work was done).
 */
function within(promise: Promise<void>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<boolean>((resolve) => {
    timer = setTimeout(() => resolve(false), ms);
  });
  return Promise.race([promise.then(() => true), expired]).finally(() => clearTimeout(timer));
}
