// praetor-miner against the fake pool: real shares the pool verifies, directly and through an
// HTTP CONNECT proxy, and a miner that keeps hashing when the pool or the proxy says no.
import * as assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { close, runMiner, startConnectProxy, startPool, summary, WALLET, NO_PROXY_ENV } from '../../testing/miner-test-kit.js';

describe('praetor-miner', () => {
  let pool: Awaited<ReturnType<typeof startPool>>;
  before(async () => {
    pool = await startPool();
  });
  after(() => close(pool.server));

  it('subscribes, authorizes and submits shares whose double SHA-256 the pool verifies', async () => {
    const run = await runMiner({ pool: `127.0.0.1:${pool.port}`, user: WALLET, runSeconds: 3, donateLevel: 0 });
    assert.equal(run.code, 0, run.stderr);
    const s = pool.stats();
    assert.equal(s.subscribes, 1);
    assert.equal(s.authorizes, 1);
    assert.deepEqual(s.workers, [WALLET]);
    assert.ok(s.shares >= 1, `the pool verified ${s.shares} shares`);
    const figures = summary(run.stderr);
    if (figures === null) return assert.fail(`no summary line:\n${run.stderr}`);
    assert.equal(figures.rejected, 0, 'every share the miner found met the pool difficulty');
    assert.ok(figures.accepted >= 1 && figures.accepted <= s.shares, `${figures.accepted} accepted vs ${s.shares} at the pool`);
    assert.match(run.stderr, /share accepted \(1\/1\)/);
    assert.ok(run.ms >= 2900 && run.ms < 6000, `ran ${run.ms} ms for --run-seconds 3`);
  });

  it('reports an unreachable pool once and keeps hashing until run-seconds', async () => {
    const dead = await startPool();
    await close(dead.server); // a port that was just free: nothing listens there now
    const run = await runMiner({ pool: `127.0.0.1:${dead.port}`, user: WALLET, runSeconds: 3, retryPauseSeconds: 1 });
    assert.equal(run.code, 0);
    assert.equal(run.stderr.match(/cannot connect to 127\.0\.0\.1:\d+: Connection refused/g)?.length, 1, run.stderr);
    assert.ok(run.ms >= 2900, `kept running ${run.ms} ms`);
    assert.ok((summary(run.stderr)?.hashes ?? 0) > 100_000, run.stderr);
  });

  it('reaches the pool through the HTTP CONNECT proxy named by HTTPS_PROXY', async () => {
    const proxy = await startConnectProxy(true);
    try {
      const before = pool.stats();
      const env = { ...NO_PROXY_ENV, HTTPS_PROXY: `http://127.0.0.1:${proxy.port}/` };
      const run = await runMiner({ pool: `127.0.0.1:${pool.port}`, user: `${WALLET}.proxied`, runSeconds: 3 }, env);
      assert.equal(run.code, 0, run.stderr);
      assert.deepEqual(proxy.requests, [`127.0.0.1:${pool.port}`]);
      assert.match(run.stderr, /connected to 127\.0\.0\.1:\d+ through the proxy/);
      const after = pool.stats();
      assert.equal(after.authorizes - before.authorizes, 1);
      assert.ok(after.workers.includes(`${WALLET}.proxied`));
      assert.ok(after.shares > before.shares, 'shares arrived through the tunnel');
    } finally {
      await close(proxy.server);
    }
  });

  it('prints a refused CONNECT (403), retries and keeps hashing', async () => {
    const proxy = await startConnectProxy(false);
    try {
      const before = pool.stats();
      const run = await runMiner({ pool: `127.0.0.1:${pool.port}`, user: WALLET, runSeconds: 3, retryPauseSeconds: 1, proxy: `127.0.0.1:${proxy.port}` });
      assert.equal(run.code, 0);
      const refusals = run.stderr.match(/proxy 127\.0\.0\.1:\d+ refused CONNECT 127\.0\.0\.1:\d+: HTTP\/1\.1 403 Forbidden/g);
      assert.equal(refusals?.length, 1, `one line for the refusal:\n${run.stderr}`);
      assert.ok(proxy.requests.length >= 2, `retried: ${proxy.requests.length} CONNECTs`);
      assert.ok(run.ms >= 2900, `kept running ${run.ms} ms`);
      assert.ok((summary(run.stderr)?.hashes ?? 0) > 100_000, run.stderr);
      assert.equal(pool.stats().connections, before.connections, 'nothing reached the pool');
    } finally {
      await close(proxy.server);
    }
  });

  it('refuses a pool URL without a port (exit 2, usage)', async () => {
    const run = await runMiner({ pool: 'no-port', user: WALLET, runSeconds: 1 });
    assert.equal(run.code, 2);
    assert.match(run.stderr, /usage: praetor-miner/);
  });
});
