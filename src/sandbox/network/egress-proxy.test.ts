// Egress proxy end to end on 127.0.0.1: CONNECT tunnels.
import * as assert from 'node:assert/strict';
import { once } from 'node:events';
import { connect } from 'node:net';
import { describe, it } from 'node:test';
import {
  GREETING,
  collect,
  openTunnel,
  loopbackAllowed,
  policyFilter,
  startProxy,
  useOrigins,
  waitFor,
} from '../../testing/egress-proxy-harness.js';
import { EgressProxy, type EgressFilter } from './egress-proxy.js';
import type { ProxyDecision } from './network-events.js';
import { StaticResolver } from './resolver.js';

const origins = useOrigins();

describe('EgressProxy: CONNECT', () => {
  it('tunnels bytes both ways and records exact counts', async () => {
    const h = await startProxy(origins);
    try {
      const t = await openTunnel(h.port, 'allowed.example:7000', 'early');
      assert.equal(t.response.status, 200);
      await t.until(() => t.payload().length >= GREETING.length + 5);
      t.socket.write('-and-later');
      t.socket.end();
      await t.until(() => t.closed());
      assert.equal(t.payload(), `${GREETING}early-and-later`);
      await waitFor(() => h.decisions.length === 1);
      const d = h.decisions[0];
      assert.ok(d);
      assert.equal(d.kind, 'proxy-decision');
      assert.equal(d.sandboxId, 'sbx-test');
      assert.equal(d.method, 'CONNECT');
      assert.equal(d.host, 'allowed.example');
      assert.equal(d.port, 7000);
      assert.equal(d.decision, 'allowed');
      assert.equal(d.reason, 'allowed by rule "allowed.example:7000"');
      assert.equal(d.bytesOut, 'early-and-later'.length);
      assert.equal(d.bytesIn, GREETING.length + 'early-and-later'.length);
      assert.equal(d.resolvedAddress, '127.0.0.1');
      assert.equal(d.error, null);
      await waitFor(() => h.proxy.activeConnections === 0);
    } finally {
      await h.proxy.close();
    }
  });

  it('shows onFirstBytes the first chunk each way, e.g. an SSH banner', async () => {
    const h = await startProxy(origins);
    try {
      const t = await openTunnel(h.port, 'echo.fake.example:22');
      t.socket.write('SSH-2.0-OpenSSH_9.6\r\n');
      await t.until(() => t.payload().includes('SSH-2.0-'));
      t.socket.end();
      await waitFor(() => h.decisions.length === 1);
      const out = h.firstBytes.find((f) => f.info.direction === 'out');
      const inn = h.firstBytes.find((f) => f.info.direction === 'in');
      assert.ok(out && inn);
      assert.match(out.text, /^SSH-2\.0-/);
      assert.equal(inn.text, GREETING);
      assert.deepEqual(
        { ...out.info, connectionId: 0 },
        {
          connectionId: 0, clientPort: t.localPort, host: 'echo.fake.example', port: 22, direction: 'out',
          method: 'CONNECT', resolvedAddress: '127.0.0.1', addressClass: 'loopback',
        },
      );
      assert.equal(out.info.connectionId, inn.info.connectionId);
      assert.equal(h.decisions[0]?.connectionId, out.info.connectionId);
      assert.equal(h.decisions[0]?.clientPort, t.localPort);
    } finally {
      await h.proxy.close();
    }
  });

  it('keeps large streams intact under backpressure, even when sent before the 200', async () => {
    const h = await startProxy(origins);
    try {
      const big = Buffer.alloc(4 * 1024 * 1024, 'abcdefghij');
      const socket = connect(h.port, '127.0.0.1');
      const c = collect(socket);
      await once(socket, 'connect');
      socket.write('CONNECT allowed.example:7000 HTTP/1.1\r\nHost: allowed.example:7000\r\n\r\n');
      socket.end(big);
      await c.until(() => c.closed());
      const established = 'HTTP/1.1 200 Connection Established\r\n\r\n';
      assert.equal(c.data().subarray(0, established.length).toString(), established);
      const payload = c.data().subarray(established.length);
      assert.equal(payload.length, GREETING.length + big.length);
      assert.ok(payload.subarray(GREETING.length).equals(big));
      await waitFor(() => h.decisions.length === 1);
      assert.equal(h.decisions[0]?.bytesOut, big.length);
      assert.equal(h.decisions[0]?.bytesIn, GREETING.length + big.length);
    } finally {
      await h.proxy.close();
    }
  });

  it('denies with 403, a policy header and an explanatory body', async () => {
    const h = await startProxy(origins);
    try {
      const t = await openTunnel(h.port, 'blocked.fake.example:443');
      assert.equal(t.response.status, 403);
      assert.equal(t.response.headers['x-praetor-denied'], 'denied by rule "blocked.fake.example"');
      assert.equal(t.response.headers['x-praetor-sandbox'], 'sbx-test');
      await t.until(() => t.closed());
      assert.equal(t.payload(), 'praetor: egress to blocked.fake.example:443 denied: denied by rule "blocked.fake.example"\n');
      assert.equal(h.decisions.length, 1);
      assert.deepEqual(
        { ...h.decisions[0], time: 0, connectionId: 0 },
        {
          kind: 'proxy-decision', sandboxId: 'sbx-test', connectionId: 0, clientPort: t.localPort, time: 0,
          method: 'CONNECT', host: 'blocked.fake.example',
          port: 443, decision: 'denied', reason: 'denied by rule "blocked.fake.example"', bytesOut: 0, bytesIn: 0,
          resolvedAddress: null, addressClass: null, error: null,
        },
      );
    } finally {
      await h.proxy.close();
    }
  });

  it('fails closed when the filter throws or rejects', async () => {
    for (const filter of [
      (): never => {
        throw new Error('boom');
      },
      () => Promise.reject(new Error('boom')),
    ] as EgressFilter[]) {
      const h = await startProxy(origins, filter);
      try {
        const t = await openTunnel(h.port, 'allowed.example:7000');
        assert.equal(t.response.status, 403);
        assert.equal(t.response.headers['x-praetor-denied'], 'filter error: boom');
        assert.equal(h.decisions[0]?.decision, 'denied');
        assert.equal(h.decisions[0]?.reason, 'filter error: boom');
      } finally {
        await h.proxy.close();
      }
    }
  });

  it('tells the filter which connection asks, with the ids the decision carries', async () => {
    const asked: { connectionId: number; clientPort: number | null }[] = [];
    const h = await startProxy(origins, (host, port, client) => {
      asked.push(client);
      return policyFilter(host, port, client);
    });
    try {
      const t = await openTunnel(h.port, 'blocked.fake.example:443');
      assert.equal(t.response.status, 403);
      assert.deepEqual(asked, [{ connectionId: h.decisions[0]?.connectionId, clientPort: t.localPort }]);
    } finally {
      await h.proxy.close();
    }
  });

  it('fails closed when the filter does not answer in time', async () => {
    const decisions: ProxyDecision[] = [];
    const proxy = new EgressProxy({
      sandboxId: 'sbx-test',
      filter: () => new Promise(() => undefined),
      resolver: new StaticResolver({}),
      checkAddress: (address) => loopbackAllowed.decide(address),
      onDecision: (d) => decisions.push(d),
      connectTimeoutMs: 100,
    });
    const { port } = await proxy.listen('127.0.0.1');
    try {
      const t = await openTunnel(port, 'allowed.example:443');
      assert.equal(t.response.status, 403);
      assert.equal(t.response.headers['x-praetor-denied'], 'filter error: timed out after 100 ms');
      assert.equal(decisions[0]?.decision, 'denied');
    } finally {
      await proxy.close();
    }
  });

  it('answers 502 when an allowed name does not resolve or the upstream refuses', async () => {
    const h = await startProxy(origins);
    try {
      const unresolved = await openTunnel(h.port, 'missing.fake.example:443');
      assert.equal(unresolved.response.status, 502);
      assert.match(unresolved.response.headers['x-praetor-error'] ?? '', /cannot resolve missing\.fake\.example/);
      const refused = await openTunnel(h.port, 'down.fake.example:443');
      assert.equal(refused.response.status, 502);
      assert.match(refused.response.headers['x-praetor-error'] ?? '', /ECONNREFUSED/);
      await waitFor(() => h.decisions.length === 2);
      const [a, b] = h.decisions;
      assert.equal(a?.decision, 'allowed');
      assert.equal(a?.resolvedAddress, null);
      assert.match(a?.error ?? '', /cannot resolve/);
      assert.equal(b?.decision, 'allowed');
      assert.equal(b?.resolvedAddress, '127.0.0.1');
      assert.match(b?.error ?? '', /ECONNREFUSED/);
    } finally {
      await h.proxy.close();
    }
  });

  it('rejects malformed targets with 400 and records each as denied', async () => {
    const h = await startProxy(origins);
    try {
      const targets = ['a..b:443', 'allowed.example:99999', 'allowed.example:0', '[allowed.example]:443', 'user@allowed.example:443'];
      for (const target of targets) {
        const t = await openTunnel(h.port, target);
        assert.equal(t.response.status, 400, target);
      }
      await waitFor(() => h.decisions.length === targets.length);
      for (const [i, d] of h.decisions.entries()) {
        assert.deepEqual([d.method, d.decision, d.host, d.port], ['CONNECT', 'denied', '', 0]);
        assert.equal(d.reason, `malformed CONNECT target ${JSON.stringify(targets[i])}`);
      }
    } finally {
      await h.proxy.close();
    }
  });

  it('close() tears down live tunnels and records them', async () => {
    const h = await startProxy(origins);
    const t = await openTunnel(h.port, 'allowed.example:7000');
    await t.until(() => t.payload() === GREETING);
    assert.equal(h.proxy.activeConnections, 1);
    await h.proxy.close();
    await t.until(() => t.closed());
    assert.equal(h.proxy.activeConnections, 0);
    await waitFor(() => h.decisions.length === 1);
    assert.equal(h.decisions[0]?.bytesIn, GREETING.length);
    // Nothing listens any more.
    const probe = connect(h.port, '127.0.0.1');
    const [err] = (await once(probe, 'error')) as [NodeJS.ErrnoException];
    assert.equal(err.code, 'ECONNREFUSED');
  });
});

