// Delivers every network cell's denials to its sandbox through praetor-nflog: nftables hands each
// denial to nfnetlink_log in the cell's own namespace, the helper reads one socket per cell, and
// what the kernel had to drop comes back as an exact count instead of a silent gap. The reader is
// a MonitorSource: a helper that dies is reported (the guard goes blind and holds the cells'
// sandboxes) and its MonitorSupervisor restarts it, which binds every cell again.
import type { ChildProcessByStdio } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createInterface } from 'node:readline';
import type { Readable, Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { PraetorError, errorMessage } from '../../core/errors.js';
import { FailureListeners, type MonitorFailureListener, type MonitorSource } from '../monitor-source.js';
import type { DeniedAttempt, DenialsDropped } from './network-events.js';
import { NFLOG_GROUP } from './nft-ruleset.js';
import { deniedAttempt, denialsDropped, parseNflogLine, type NflogLine } from './nflog-line.js';
import { spawnHelper } from '../helper-process.js';

export type CellRecordListener = (event: DeniedAttempt | DenialsDropped) => void;

export interface NflogReaderOptions {
  /** The helper; defaults to $PRAETOR_NFLOG or native/build/praetor-nflog. */
  readonly binaryPath?: string;
  /** Socket buffer per cell; small values let tests provoke drops. The helper's default otherwise. */
  readonly receiveBufferBytes?: number;
  /** Problems that lose no record by themselves (a bad line, a restart). */
  readonly onError?: (message: string) => void;
}

export function defaultNflogPath(env: NodeJS.ProcessEnv = process.env): string {
  return env.PRAETOR_NFLOG ?? fileURLToPath(new URL('../../../native/build/praetor-nflog', import.meta.url));
}

const START_TIMEOUT_MS = 10_000;
const REQUEST_TIMEOUT_MS = 5_000;
const CELL_ID = /^[A-Za-z0-9_-]{1,64}$/;

type Helper = ChildProcessByStdio<Writable, Readable, Readable>;

interface Cell {
  readonly netnsPath: string;
  readonly listener: CellRecordListener;
}

/** A command waiting for its answer; the helper answers in order, one line per command. */
interface Pending {
  readonly answer: 'added' | 'removed' | 'sync';
  readonly resolve: () => void;
  readonly reject: (err: Error) => void;
  readonly timer: NodeJS.Timeout;
}

export class NflogReader implements MonitorSource {
  readonly name = 'denial-reader';
  private child: Helper | null = null;
  private starting: Promise<void> | null = null;
  private stopped = false;
  private readonly failures = new FailureListeners();
  private syncSeq = 0;
  private readonly cells = new Map<string, Cell>();
  private readonly pending: Pending[] = [];

  constructor(private readonly opts: NflogReaderOptions = {}) {}

  /** Host pid of the helper, for accounting its CPU; null when not running. */
  get pid(): number | null {
    return this.child?.pid ?? null;
  }

  /**
   * Starts the helper, or restarts it after it died: a new helper binds every known cell again
   * before this resolves, so a restarted reader misses no cell.
   */
  start(): Promise<void> {
    this.stopped = false;
    this.starting ??= this.launch()
      .then(() => this.rebind())
      .catch((err: unknown) => {
        this.starting = null;
        // A helper that could not bind every cell is not kept: the next start begins afresh.
        const child = this.child;
        this.child = null;
        child?.kill('SIGKILL');
        this.failPending(`praetor-nflog could not start: ${errorMessage(err)}`);
        throw err;
      });
    return this.starting;
  }

  onFailure(listener: MonitorFailureListener): () => void {
    return this.failures.add(listener);
  }

  /**
   * Binds the cell's group in its namespace: every denial from then on reaches `listener`, or
   * is counted as dropped. Resolves once bound.
   */
  async addCell(sandboxId: string, netnsPath: string, listener: CellRecordListener): Promise<void> {
    if (!CELL_ID.test(sandboxId) || !/^\/\S+$/.test(netnsPath)) {
      throw new PraetorError('internal', `bad network cell for the denial reader: ${sandboxId} ${netnsPath}`);
    }
    await this.start();
    this.cells.set(sandboxId, { netnsPath, listener });
    try {
      await this.request(`add ${sandboxId} ${netnsPath}`, 'added');
    } catch (err) {
      this.cells.delete(sandboxId);
      throw new PraetorError('sandbox-failure', `denials of ${sandboxId} can not be recorded: ${(err as Error).message}`);
    }
  }

  /** Reads what is left of the cell's denials, then lets its namespace go. */
  async removeCell(sandboxId: string): Promise<void> {
    if (!this.cells.has(sandboxId)) return;
    try {
      if (this.child !== null) await this.request(`remove ${sandboxId}`, 'removed');
    } finally {
      this.cells.delete(sandboxId);
    }
  }

  /**
   * Resolves once every denial of the cell that happened before the call has reached its
   * listener, or been counted as dropped: nfnetlink_log queues a denial from the sender's own
   * system call, so the helper only has to read what is queued.
   */
  flush(sandboxId: string): Promise<void> {
    const child = this.child;
    // While the helper is down there is nothing to read: the record says dropped: null and the
    // guard's guard-blind alert marks the gap.
    if (!this.cells.has(sandboxId) || child === null) return Promise.resolve();
    return this.request(`sync ${++this.syncSeq} ${sandboxId}`, 'sync').catch((err: unknown) => {
      if (this.child !== child) return; // it died meanwhile: the same gap, already reported
      throw err;
    });
  }

  stop(): void {
    this.stopped = true;
    const child = this.child;
    this.child = null;
    this.starting = null;
    this.failPending('the denial reader was stopped');
    child?.kill('SIGTERM');
  }

  private request(command: string, answer: Pending['answer']): Promise<void> {
    const child = this.child;
    if (child === null) return Promise.reject(new PraetorError('internal', 'the denial reader is not running'));
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        // An unanswered command leaves the answers out of step: start afresh.
        this.report(`praetor-nflog did not answer "${command}" within ${REQUEST_TIMEOUT_MS} ms; restarting it`);
        child.kill('SIGKILL');
      }, REQUEST_TIMEOUT_MS);
      this.pending.push({ answer, resolve, reject, timer });
      child.stdin.write(`${command}\n`);
    });
  }

  private answer(line: NflogLine & { e: 'added' | 'removed' | 'sync' | 'error' }): void {
    const next = this.pending.shift();
    if (next === undefined) return this.report(`praetor-nflog answered nothing asked: ${JSON.stringify(line)}`);
    clearTimeout(next.timer);
    if (line.e === 'error') next.reject(new Error(line.msg));
    else if (line.e !== next.answer) next.reject(new Error(`praetor-nflog answered ${line.e} to ${next.answer}`));
    else next.resolve();
  }

  private failPending(why: string): void {
    for (const p of this.pending.splice(0)) {
      clearTimeout(p.timer);
      p.reject(new PraetorError('internal', why));
    }
  }

  private launch(): Promise<void> {
    const path = this.opts.binaryPath ?? defaultNflogPath();
    if (!existsSync(path)) {
      return Promise.reject(
        new PraetorError('host-unsupported', `denial reader helper not found at ${path}: run \`npm run build\` (it needs a C compiler)`),
      );
    }
    const args = ['--group', String(NFLOG_GROUP)];
    if (this.opts.receiveBufferBytes !== undefined) args.push('--rcvbuf', String(this.opts.receiveBufferBytes));
    const child = spawnHelper(path, args);
    this.child = child;
    return new Promise((resolve, reject) => {
      let ready = false;
      let stderr = '';
      const timer = setTimeout(() => fail(`not ready within ${START_TIMEOUT_MS} ms`), START_TIMEOUT_MS);
      const fail = (why: string): void => {
        clearTimeout(timer);
        if (this.child === child) this.child = null;
        child.kill('SIGKILL');
        reject(new PraetorError('host-unsupported', `denial reader failed to start: ${why}${stderr ? `: ${stderr.trim()}` : ''}`));
      };
      createInterface({ input: child.stderr, crlfDelay: Infinity }).on('line', (text) => {
        if (ready) this.report(`praetor-nflog: ${text}`);
        else stderr += `${text}\n`;
      });
      createInterface({ input: child.stdout, crlfDelay: Infinity }).on('line', (text) => {
        const parsed = parseNflogLine(text);
        if (!parsed.ok) return this.report(`praetor-nflog: bad line (${parsed.error}): ${text.slice(0, 200)}`);
        if (parsed.line.e === 'ready') {
          if (!ready) {
            ready = true;
            clearTimeout(timer);
            resolve();
          }
          return;
        }
        this.handle(parsed.line);
      });
      child.on('error', (err) => fail(err.message));
      child.on('close', (code, signal) => {
        if (!ready) return fail(`exited (${code ?? signal})`);
        if (this.child === child) this.died(`exited (${code ?? signal})`);
      });
    });
  }

  private handle(line: NflogLine): void {
    switch (line.e) {
      case 'deny':
        this.cells.get(line.id)?.listener(deniedAttempt(line));
        return;
      case 'dropped':
        this.cells.get(line.id)?.listener(denialsDropped(line.id, line.t, line.n));
        return;
      case 'added':
      case 'removed':
      case 'sync':
      case 'error':
        this.answer(line);
        return;
      case 'ready':
        return;
    }
  }

  /**
   * The helper died: its sockets closed with it, so denials until it is back are lost, uncounted.
   * Every cell's record says so (dropped: null), and a new helper binds every cell again.
   */
  private died(why: string): void {
    this.child = null;
    this.starting = null;
    this.failPending(`praetor-nflog ${why}`);
    if (this.stopped) return;
    const now = Date.now();
    for (const [id, cell] of this.cells) cell.listener(denialsDropped(id, now, null));
    // The supervisor (if any) restarts it; the guard holds the cells' sandboxes meanwhile.
    this.failures.emit({ monitor: this.name, reason: `praetor-nflog ${why}`, time: now, sandboxIds: [...this.cells.keys()] });
  }

  /**
   * Binds every known cell in a freshly started helper. A cell whose namespace is gone belongs to
   * a sandbox being destroyed: it is let go. Any other failure fails the start, so the supervisor
   * keeps the guard blind and tries again.
   */
  private async rebind(): Promise<void> {
    const cells = [...this.cells];
    if (cells.length === 0) return;
    const results = await Promise.allSettled(cells.map(([id, cell]) => this.request(`add ${id} ${cell.netnsPath}`, 'added')));
    const failed: string[] = [];
    results.forEach((r, i) => {
      const [id, cell] = cells[i] as [string, Cell];
      if (r.status === 'fulfilled' || !this.cells.has(id)) return;
      if (!existsSync(cell.netnsPath)) {
        this.cells.delete(id);
        this.report(`denials of ${id} are no longer read: its network namespace is gone`);
        return;
      }
      failed.push(`${id}: ${errorMessage(r.reason)}`);
    });
    if (failed.length > 0) {
      throw new PraetorError('sandbox-failure', `praetor-nflog could not bind the cells again: ${failed.join('; ')}`);
    }
  }

  private report(message: string): void {
    this.opts.onError?.(message);
  }
}
