// Synchronous calls into PostgreSQL for an interface that is synchronous (EpisodeStore, the key
// check of every request): the client runs in a worker thread and the caller blocks on a shared
// counter until the answer is posted. Appends use the same ordered channel without blocking, so a
// read after an append sees it. Written by hand: a sync-call library (synckit) answers one call at
// a time and has no ordered asynchronous path beside it, which group commit needs.
import { MessageChannel, receiveMessageOnPort, Worker, type MessagePort } from 'node:worker_threads';
import { PraetorError } from '../../core/errors.js';
import type { PostgresTarget } from './postgres-url.js';

export interface BridgeStatement {
  readonly sql: string;
  readonly params?: readonly unknown[];
}
export type BridgeRequest = { id: number; kind: 'run'; statements: readonly BridgeStatement[] } | { id: number; kind: 'close' };
export interface BridgeResult {
  readonly count: number;
  readonly rows: Record<string, unknown>[];
}
export type BridgeAnswer = { id: number; ok: true; results: BridgeResult[] } | { id: number; ok: false; error: string; code?: string };
export interface BridgeWorkerData {
  readonly url: string;
  readonly socketDir?: string;
  readonly port: MessagePort;
  readonly signal: SharedArrayBuffer;
}

/** A statement PostgreSQL refused: its SQLSTATE (23505: unique violation...) and message. */
export class PostgresStatementError extends PraetorError {
  constructor(
    message: string,
    readonly sqlState: string | undefined,
  ) {
    super('internal', message);
  }
}

const WORKER = new URL('./postgres-worker.js', import.meta.url);

export class PostgresBridge {
  private readonly worker: Worker;
  private readonly port: MessagePort;
  private readonly signal = new Int32Array(new SharedArrayBuffer(4));
  private readonly waiting = new Map<number, (answer: BridgeAnswer) => void>();
  private nextId = 1;
  private closed = false;

  constructor(
    private readonly target: PostgresTarget,
    private readonly timeoutMs = 60_000,
  ) {
    const { port1, port2 } = new MessageChannel();
    this.port = port1;
    const data: BridgeWorkerData = { url: target.url, ...(target.socketDir !== undefined ? { socketDir: target.socketDir } : {}), port: port2, signal: this.signal.buffer };
    this.worker = new Worker(WORKER, { workerData: data, transferList: [port2] });
    this.worker.unref();
    this.worker.on('error', () => undefined); // a dead worker shows as the next call's timeout
    this.port.on('message', (answer: BridgeAnswer) => this.settle(answer));
    this.port.unref();
  }

  /** Runs the statements (several: in one transaction) and blocks until PostgreSQL answers. */
  runSync(statements: readonly BridgeStatement[]): BridgeResult[] {
    const id = this.send(statements);
    let answer: BridgeAnswer | undefined;
    this.waiting.set(id, (a) => (answer = a));
    const deadline = Date.now() + this.timeoutMs;
    while (answer === undefined) {
      const seen = Atomics.load(this.signal, 0);
      for (let m = receiveMessageOnPort(this.port); m !== undefined; m = receiveMessageOnPort(this.port)) this.settle(m.message as BridgeAnswer);
      if (answer !== undefined) break;
      const left = deadline - Date.now();
      if (left <= 0 || Atomics.wait(this.signal, 0, seen, left) === 'timed-out') {
        this.waiting.delete(id);
        throw new PraetorError('internal', `PostgreSQL (${this.target.shown}) did not answer within ${this.timeoutMs / 1000} s`);
      }
    }
    return unwrap(answer);
  }

  querySync(sql: string, params: readonly unknown[] = []): Record<string, unknown>[] {
    return this.runSync([{ sql, params }])[0]?.rows ?? [];
  }

  /** The same, without blocking: resolves when committed. */
  run(statements: readonly BridgeStatement[]): Promise<BridgeResult[]> {
    return new Promise((resolve, reject) => {
      const id = this.send(statements);
      if (this.waiting.size === 0) this.port.ref(); // an answer pending keeps the process alive
      this.waiting.set(id, (answer) => {
        if (answer.ok) resolve(answer.results);
        else reject(new PostgresStatementError(`PostgreSQL: ${answer.error}`, answer.code));
      });
    });
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    try {
      const id = this.nextId++;
      this.port.postMessage({ id, kind: 'close' } satisfies BridgeRequest);
      this.waiting.set(id, () => undefined);
      const deadline = Date.now() + 5000;
      while (this.waiting.has(id) && Date.now() < deadline) {
        const seen = Atomics.load(this.signal, 0);
        for (let m = receiveMessageOnPort(this.port); m !== undefined; m = receiveMessageOnPort(this.port)) this.settle(m.message as BridgeAnswer);
        if (this.waiting.has(id)) Atomics.wait(this.signal, 0, seen, 200);
      }
    } finally {
      this.port.close();
      void this.worker.terminate();
    }
  }

  private send(statements: readonly BridgeStatement[]): number {
    if (this.closed) throw new PraetorError('internal', 'the PostgreSQL store is closed');
    const id = this.nextId++;
    this.port.postMessage({ id, kind: 'run', statements } satisfies BridgeRequest);
    return id;
  }

  private settle(answer: BridgeAnswer): void {
    const done = this.waiting.get(answer.id);
    if (done === undefined) return;
    this.waiting.delete(answer.id);
    if (this.waiting.size === 0) this.port.unref();
    done(answer);
  }
}

function unwrap(answer: BridgeAnswer): BridgeResult[] {
  if (answer.ok) return answer.results;
  throw new PostgresStatementError(`PostgreSQL: ${answer.error}`, answer.code);
}
