import * as assert from 'node:assert/strict';
import { connect, type Socket } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { blockHeader, difficultyToTarget, headerHashValue, type StratumJob } from '../miner/stratum-share.js';
import { createStratumPool } from './stratum-pool.js';

const DIFFICULTY = 2 ** -12;

/** A line-oriented client: send objects or raw text, await the next message matching a test. */
function client(port: number): { socket: Socket; send(text: string): void; next(match: (m: Record<string, unknown>) => boolean): Promise<Record<string, unknown>> } {
  const socket = connect(port, '127.0.0.1');
  const seen: Record<string, unknown>[] = [];
  const waiters: { match: (m: Record<string, unknown>) => boolean; resolve: (m: Record<string, unknown>) => void }[] = [];
  let buffer = '';
  socket.on('data', (c: Buffer) => {
    buffer += c.toString();
    for (let nl = buffer.indexOf('\n'); nl >= 0; nl = buffer.indexOf('\n')) {
      seen.push(JSON.parse(buffer.slice(0, nl)) as Record<string, unknown>);
      buffer = buffer.slice(nl + 1);
    }
    for (const w of [...waiters]) {
      const i = seen.findIndex(w.match);
      if (i >= 0) {
        w.resolve(seen.splice(i, 1)[0] ?? {});
        waiters.splice(waiters.indexOf(w), 1);
      }
    }
  });
  return {
    socket,
    send: (text) => void socket.write(text),
    next: (match) =>
      new Promise((resolve) => {
        const i = seen.findIndex(match);
        if (i >= 0) resolve(seen.splice(i, 1)[0] ?? {});
        else waiters.push({ match, resolve });
      }),
  };
}

describe('stratum pool', () => {
  const pool = createStratumPool({ difficulty: DIFFICULTY });
  let port = 0;
  before(async () => {
    await new Promise<void>((r) => pool.server.listen(0, '127.0.0.1', r));
    port = (pool.server.address() as { port: number }).port;
  });
  after(() => new Promise<void>((r) => pool.server.close(() => r())));

  it('speaks Stratum v1 through garbage, and accepts a real share but not a made-up one', async () => {
    const c = client(port);
    c.send('GET / HTTP/1.1\r\n\r\nnot json\n[1,2]\n{"id":9}\n');
    c.send('{"id":1,"method":"mining.subscribe","params":["t/1"]}\n{"id":2,"method":"mining.authorize","params":["wallet.rig","x"]}\n');
    const sub = await c.next((m) => m.id === 1);
    const [subs, extranonce1, size] = sub.result as [unknown, string, number];
    assert.deepEqual((subs as string[][]).map((s) => s[0]), ['mining.set_difficulty', 'mining.notify']);
    assert.match(extranonce1, /^[0-9a-f]{8}$/);
    assert.equal(size, 4);
    assert.deepEqual((await c.next((m) => m.id === 2)).result, true);
    assert.deepEqual((await c.next((m) => m.method === 'mining.set_difficulty')).params, [DIFFICULTY]);
    const p = (await c.next((m) => m.method === 'mining.notify')).params as [string, string, string, string, string[], string, string, string, boolean];
    const job: StratumJob = { jobId: p[0], prevhash: p[1], coinb1: p[2], coinb2: p[3], merkleBranches: p[4], version: p[5], nbits: p[6], ntime: p[7] };
    assert.equal(p[8], true, 'clean jobs');

    const target = difficultyToTarget(DIFFICULTY);
    let good = '';
    let bad = '';
    for (let n = 0; good === '' || bad === ''; n++) {
      const nonce = n.toString(16).padStart(8, '0');
      const header = blockHeader(job, { extranonce1, extranonce2: '00000001', ntime: job.ntime, nonce });
      if (header === null) return assert.fail('the job makes a header');
      if (headerHashValue(header) <= target) good ||= nonce;
      else bad ||= nonce;
    }
    const submit = (id: number, nonce: string): string => `${JSON.stringify({ id, method: 'mining.submit', params: ['wallet.rig', job.jobId, '00000001', job.ntime, nonce] })}\n`;
    c.send(submit(3, good) + submit(4, bad));
    assert.equal((await c.next((m) => m.id === 3)).result, true);
    assert.deepEqual((await c.next((m) => m.id === 4)).error, [23, 'Low difficulty share', null]);
    c.send('{"id":5,"method":"mining.submit","params":["wallet.rig","nojob","00000001","00000000","00000000"]}\n');
    assert.deepEqual((await c.next((m) => m.id === 5)).error, [21, 'Job not found', null]);
    c.socket.destroy();

    const s = pool.stats();
    assert.equal(s.subscribes, 1);
    assert.equal(s.authorizes, 1);
    assert.equal(s.shares, 1, 'only the share that meets the difficulty');
    assert.deepEqual(s.workers, ['wallet.rig']);
  });

  it("answers xmrig's login with a job and counts its submits", async () => {
    const c = client(port);
    c.send('{"id":1,"jsonrpc":"2.0","method":"login","params":{"login":"44xmrwallet","pass":"x","agent":"XMRig/6.21.0"}}\n');
    const reply = await c.next((m) => m.id === 1);
    const result = reply.result as { status: string; job: { job_id: string; blob: string; target: string } };
    assert.equal(result.status, 'OK');
    assert.match(result.job.blob, /^[0-9a-f]{152}$/);
    c.send(`${JSON.stringify({ id: 2, jsonrpc: '2.0', method: 'submit', params: { id: 'x', job_id: result.job.job_id, nonce: '00000000', result: '00'.repeat(32) } })}\n`);
    assert.deepEqual((await c.next((m) => m.id === 2)).result, { status: 'OK' });
    c.socket.destroy();
    assert.ok(pool.stats().workers.includes('44xmrwallet'));
  });

  it('drops a connection that sends an endless line', async () => {
    const c = client(port);
    const closed = new Promise<void>((r) => c.socket.on('close', () => r()));
    c.socket.on('error', () => undefined);
    c.send('x'.repeat(100 * 1024));
    await closed;
    assert.ok(pool.stats().bytesReceived >= 64 * 1024);
  });
});
