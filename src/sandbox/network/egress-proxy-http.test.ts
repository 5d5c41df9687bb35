// Egress proxy end to end on 127.0.0.1: absolute-form HTTP and SOCKS5.
import * as assert from 'node:assert/strict';
import { once } from 'node:events';
import { connect } from 'node:net';
import { describe, it } from 'node:test';
import {
  GREETING,
  collect,
  proxiedRequest,
  startProxy,
  useOrigins,
  waitFor,
} from '../../testing/egress-proxy-harness.js';

const origins = useOrigins();

describe('EgressProxy: absolute-form HTTP', () => {
  it('forwards a GET with hop-by-hop headers removed and Host from the target', async () => {
    const h = await startProxy(origins);
    try {
      const res = await proxiedRequest(h.port, 'GET', 'http://allowed.example/hello?x=1', {
        Host: 'fronted.other.example',
        'Proxy-Connection': 'keep-alive',
        'Proxy-Authorization': 'Basic c2VjcmV0',
        'X-Custom': 'kept',
      });
      assert.equal(res.status, 200);
      assert.equal(res.headers['x-secret-hop'], undefined);
      const seen = JSON.parse(res.body) as { method: string; url: string; headers: Record<string, string> };
      assert.equal(seen.method, 'GET');
      assert.equal(seen.url, '/hello?x=1');
      assert.equal(seen.headers.host, 'allowed.example');
      assert.equal(seen.headers['x-custom'], 'kept');
      assert.equal(seen.headers['proxy-connection'], undefined);
      assert.equal(seen.headers['proxy-authorization'], undefined);
      await waitFor(() => h.decisions.length === 1);
      const d = h.decisions[0];
      assert.equal(d?.method, 'HTTP');
      assert.equal(d?.host, 'allowed.example');
      assert.equal(d?.port, 80);
      assert.equal(d?.decision, 'allowed');
      assert.equal(d?.resolvedAddress, '127.0.0.1');
      assert.ok((d?.bytesOut ?? 0) > 0 && (d?.bytesIn ?? 0) > res.body.length, JSON.stringify(d));
      assert.equal(d?.error, null);
    } finally {
      await h.proxy.close();
    }
  });

  it('forwards request bodies and shows them to onFirstBytes', async () => {
    const h = await startProxy(origins);
    try {
      const res = await proxiedRequest(h.port, 'POST', 'http://allowed.example/submit', { 'Content-Type': 'text/plain' }, '{"id":1,"method":"mining.subscribe"}');
      assert.equal(res.status, 200);
      const seen = JSON.parse(res.body) as { body: string };
      assert.equal(seen.body, '{"id":1,"method":"mining.subscribe"}');
      await waitFor(() => h.decisions.length === 1);
      const out = h.firstBytes.find((f) => f.info.direction === 'out');
      assert.equal(out?.text, '{"id":1,"method":"mining.subscribe"}');
      assert.ok(h.firstBytes.some((f) => f.info.direction === 'in' && f.text.startsWith('{"method":"POST"')));
    } finally {
      await h.proxy.close();
    }
  });

  it('denies with 403 and the same headers and body as CONNECT', async () => {
    const h = await startProxy(origins);
    try {
      const res = await proxiedRequest(h.port, 'GET', 'http://elsewhere.example:8080/');
      assert.equal(res.status, 403);
      assert.equal(res.headers['x-praetor-denied'], 'not in allow list');
      assert.equal(res.headers['x-praetor-sandbox'], 'sbx-test');
      assert.equal(res.body, 'praetor: egress to elsewhere.example:8080 denied: not in allow list\n');
      assert.equal(h.decisions[0]?.decision, 'denied');
      assert.equal(h.decisions[0]?.method, 'HTTP');
      assert.equal(h.decisions[0]?.bytesOut, 0);
    } finally {
      await h.proxy.close();
    }
  });

  it('answers 502 for an allowed name that does not resolve', async () => {
    const h = await startProxy(origins);
    try {
      const res = await proxiedRequest(h.port, 'GET', 'http://nowhere.fake.example/');
      assert.equal(res.status, 502);
      assert.match(String(res.headers['x-praetor-error']), /cannot resolve nowhere\.fake\.example/);
      assert.equal(h.decisions[0]?.decision, 'allowed');
      assert.match(h.decisions[0]?.error ?? '', /cannot resolve/);
    } finally {
      await h.proxy.close();
    }
  });

  it('answers 400 to origin-form and non-http absolute requests, and records them as denied', async () => {
    const h = await startProxy(origins);
    try {
      const plain = await proxiedRequest(h.port, 'GET', '/');
      assert.equal(plain.status, 400);
      assert.match(plain.body, /egress proxy/);
      const https = await proxiedRequest(h.port, 'GET', 'https://allowed.example/');
      assert.equal(https.status, 400);
      assert.match(https.body, /CONNECT/);
      await waitFor(() => h.decisions.length === 2);
      assert.deepEqual(h.decisions.map((d) => [d.method, d.decision, d.host, d.port]), [['HTTP', 'denied', '', 0], ['HTTP', 'denied', '', 0]]);
      assert.match(h.decisions[0]?.reason ?? '', /^malformed request: this is an egress proxy.* \(GET "\/"\)$/);
      assert.match(h.decisions[1]?.reason ?? '', /^malformed request: scheme "https" is not proxied.* \(GET "https:\/\/allowed.example\/"\)$/);
    } finally {
      await h.proxy.close();
    }
  });
});

describe('EgressProxy: SOCKS5', () => {
  async function socksConnect(port: number, host: string, targetPort: number) {
    const socket = connect(port, '127.0.0.1');
    const c = collect(socket);
    await once(socket, 'connect');
    socket.write(Buffer.from([5, 1, 0]));
    await c.until(() => c.data().length >= 2);
    assert.deepEqual([...c.data().subarray(0, 2)], [5, 0]);
    const name = Buffer.from(host, 'latin1');
    const portBytes = [targetPort >> 8, targetPort & 0xff];
    socket.write(Buffer.from([5, 1, 0, 3, name.length, ...name, ...portBytes]));
    await c.until(() => c.data().length >= 12);
    return { socket, ...c, reply: c.data()[3], payload: () => c.data().subarray(12).toString('latin1') };
  }

  it('tunnels an allowed CONNECT on the same port', async () => {
    const h = await startProxy(origins);
    try {
      const s = await socksConnect(h.port, 'echo.fake.example', 4242);
      assert.equal(s.reply, 0x00);
      s.socket.end('ping');
      await s.until(() => s.closed());
      assert.equal(s.payload(), `${GREETING}ping`);
      await waitFor(() => h.decisions.length === 1);
      assert.equal(h.decisions[0]?.method, 'CONNECT');
      assert.equal(h.decisions[0]?.bytesOut, 4);
      assert.equal(h.decisions[0]?.bytesIn, GREETING.length + 4);
    } finally {
      await h.proxy.close();
    }
  });

  it('refuses a denied target with reply 0x02 and records it', async () => {
    const h = await startProxy(origins);
    try {
      const s = await socksConnect(h.port, 'blocked.fake.example', 443);
      assert.equal(s.reply, 0x02);
      await s.until(() => s.closed());
      assert.equal(h.decisions[0]?.decision, 'denied');
      assert.equal(h.decisions[0]?.host, 'blocked.fake.example');
    } finally {
      await h.proxy.close();
    }
  });
});
