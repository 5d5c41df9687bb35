// 100 clients at once, each creating a sandbox, running a command in it and destroying it, all
// through a real daemon with a warm pool: every one must succeed. Prints figures (never asserts
// them): the whole run, create and exec latencies, exec over the API in a loop, and
// create-to-first-command.
import { after, before, it } from 'node:test';
import * as assert from 'node:assert/strict';
import { DaemonProcess } from './testing/daemon-process.js';

const CLIENTS = Number(process.env.PRAETOR_LOAD_CLIENTS ?? 100);
const POOL = Number(process.env.PRAETOR_LOAD_POOL ?? 8);

function pct(values: number[], p: number): string {
  const sorted = [...values].sort((a, b) => a - b);
  return (sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN).toFixed(2);
}

let d: DaemonProcess;
before(async () => {
  if (process.getuid?.() !== 0) throw new Error('needs root (CI runs as root)');
  d = await DaemonProcess.start(['--pool', String(POOL)]);
});
after(async () => {
  if (!d) return;
  assert.equal(await d.stop('SIGTERM'), 0);
  d.cleanup();
});

it(`${CLIENTS} clients at once each create, exec and destroy: all succeed`, async () => {
  const key = await d.createKey('sandboxes');
  const creates: number[] = [];
  const execs: number[] = [];
  const started = performance.now();
  const results = await Promise.all(
    Array.from({ length: CLIENTS }, async (_, i) => {
      let t = performance.now();
      const made = await d.call('POST', '/v1/sandboxes', { key, body: { labels: { client: String(i) } } });
      creates.push(performance.now() - t);
      if (made.status !== 201) return `create ${made.status} ${made.body.toString()}`;
      t = performance.now();
      const ran = await d.call('POST', `/v1/sandboxes/${String(made.json.id)}/exec`, { key, body: { command: `echo client-${i}` } });
      execs.push(performance.now() - t);
      if (ran.status !== 200 || ran.json.stdout !== `client-${i}\n`) return `exec ${ran.status} ${ran.body.toString()}`;
      const gone = await d.call('DELETE', `/v1/sandboxes/${String(made.json.id)}`, { key });
      return gone.status === 204 ? 'ok' : `destroy ${gone.status}`;
    }),
  );
  const wall = performance.now() - started;
  console.log(`# ${CLIENTS} clients (pool ${POOL}): ${(wall / 1000).toFixed(2)} s; create p50 ${pct(creates, 50)} ms p99 ${pct(creates, 99)} ms; exec p50 ${pct(execs, 50)} ms p99 ${pct(execs, 99)} ms`);
  assert.deepEqual(results.filter((r) => r !== 'ok'), []);
  assert.deepEqual((await d.call('GET', '/v1/sandboxes', { key })).json.sandboxes, []);
});

/** Waits (up to 10 s) until the pool is full again, so a figure does not share the CPU with its refill. */
async function poolFull(): Promise<void> {
  for (let i = 0; i < 200 && Number(/praetor_pool_idle_sandboxes (\d+)/.exec((await d.call('GET', '/metrics')).body.toString())?.[1] ?? 0) < POOL; i++) {
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

it('figures: exec over the API in a loop, and create-to-first-command', async () => {
  await poolFull();
  const made = await d.call('POST', '/v1/sandboxes', { via: 'unix', body: {} });
  const id = String(made.json.id);
  const loop: number[] = [];
  for (let i = 0; i < 200; i++) {
    const t = performance.now();
    const r = await d.call('POST', `/v1/sandboxes/${id}/exec`, { via: 'unix', body: { command: ['true'] } });
    loop.push(performance.now() - t);
    assert.equal(r.json.exitCode, 0);
  }
  const first: number[] = [];
  for (let i = 0; i < 20; i++) {
    const t = performance.now();
    const sb = await d.call('POST', '/v1/sandboxes', { via: 'unix', body: {} });
    const r = await d.call('POST', `/v1/sandboxes/${String(sb.json.id)}/exec`, { via: 'unix', body: { command: ['true'] } });
    first.push(performance.now() - t);
    assert.equal(r.json.exitCode, 0);
    await d.call('DELETE', `/v1/sandboxes/${String(sb.json.id)}`, { via: 'unix' });
    await poolFull(); // the pool refills, untimed
  }
  console.log(`# exec \`true\` over the unix socket, 200 in a row: p50 ${pct(loop, 50)} ms p90 ${pct(loop, 90)} ms p99 ${pct(loop, 99)} ms`);
  console.log(`# create (pooled) -> first \`true\` over the API, 20 runs: p50 ${pct(first, 50)} ms p90 ${pct(first, 90)} ms`);
});
