// The worker thread behind PostgresBridge: one connection, requests run strictly in the order they
// arrive (so a read sees every write sent before it), each batch in one transaction. After posting
// an answer it bumps the shared counter, which wakes a main thread blocked in Atomics.wait.
import { parentPort, workerData } from 'node:worker_threads';
import postgres from 'postgres';
import type { BridgeAnswer, BridgeRequest, BridgeStatement, BridgeWorkerData } from './postgres-bridge.js';

const data = workerData as BridgeWorkerData;
const port = data.port;
const signal = new Int32Array(data.signal);
const sql = postgres(data.url, {
  ...(data.socketDir !== undefined ? { host: data.socketDir } : {}),
  max: 1,
  onnotice: () => undefined,
  connect_timeout: 10,
  // epoch milliseconds are int8; they fit a JS number exactly
  types: { bigint: { to: 20, from: [20], serialize: (x: number) => String(x), parse: (x: string) => Number(x) } },
});

async function run(statements: readonly BridgeStatement[]): Promise<{ count: number; rows: Record<string, unknown>[] }[]> {
  const runOne = async (tx: postgres.Sql | postgres.TransactionSql, s: BridgeStatement) => {
    const result = await tx.unsafe(s.sql, (s.params ?? []) as postgres.ParameterOrJSON<never>[]);
    return { count: result.count, rows: result.map((r) => ({ ...r })) };
  };
  if (statements.length === 1 && statements[0] !== undefined) return [await runOne(sql, statements[0])];
  const out = await sql.begin(async (tx) => {
    const results = [];
    for (const s of statements) results.push(await runOne(tx, s));
    return results;
  });
  return out;
}

let chain: Promise<void> = Promise.resolve();
port.on('message', (request: BridgeRequest) => {
  chain = chain.then(async () => {
    let answer: BridgeAnswer;
    if (request.kind === 'close') {
      await sql.end({ timeout: 5 }).catch(() => undefined);
      answer = { id: request.id, ok: true, results: [] };
    } else {
      try {
        answer = { id: request.id, ok: true, results: await run(request.statements) };
      } catch (err) {
        const e = err as { message?: string; code?: string };
        answer = { id: request.id, ok: false, error: e.message ?? String(err), ...(e.code !== undefined ? { code: e.code } : {}) };
      }
    }
    port.postMessage(answer);
    Atomics.add(signal, 0, 1);
    Atomics.notify(signal, 0);
  });
});
parentPort?.postMessage('started');
