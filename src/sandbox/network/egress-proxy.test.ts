// End-to-end tests of the egress proxy on 127.0.0.1: local HTTP origin and TCP echo servers stand in
// for the internet through a StaticResolver; clients are raw sockets so nothing here is proxy-aware.

import * as assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer as createHttpServer, request as httpRequest, type IncomingMessage, type Server as HttpServer } from 'node:http';
import { connect, createServer as createNetServer, type AddressInfo, type Server as NetServer, type Socket } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { setTimeout as delay } from 'node:timers/promises';
import { decideDomain } from './domain-filter.js';
import { EgressProxy, type EgressFilter, type FirstBytesInfo } from './egress-proxy.js';
import type { ProxyDecision } from './network-events.js';
import { StaticResolver } from './resolver.js';

const GREETING = 'HELLO\n';
const policy = { allow: ['allowed.example', '.fake.example'], deny: ['blocked.fake.example'] };
const policyFilter: EgressFilter = (host) => decideDomain(policy, host);

let origin: HttpServer;
let echo: NetServer;
let originPort = 0;
let echoPort = 0;
let closedPort = 0;

before(async () => {
  origin = createHttpServer((req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (c: string) => (body += c));
    req.on('end', () => {
      res.setHeader('Content-Type', 'application/json');
      res.setHeader('Connection', 'keep-alive, x-secret-hop');
      res.setHeader('X-Secret-Hop', 'should not pass');
      res.end(JSON.stringify({ method: req.method, url: req.url, headers: req.headers, body }));
    });
  });
  // Greets, then echoes; ends when the client ends, so a half-close is observable end to end.
  echo = createNetServer({ allowHalfOpen: true }, (s) => {
    s.write(GREETING);
    s.pipe(s);
    s.on('error', () => s.destroy());
  });
  const unused = createNetServer();
  await Promise.all([listenLocal(origin), listenLocal(echo), listenLocal(unused)]);
  originPort = (origin.address() as AddressInfo).port;
  echoPort = (echo.address() as AddressInfo).port;
  closedPort = (unused.address() as AddressInfo).port;
  await new Promise<void>((resolve) => unused.close(() => resolve()));
});

after(async () => {
  origin.closeAllConnections();
  await Promise.all([new Promise((r) => origin.close(r)), new Promise((r) => echo.close(r))]);
});

function listenLocal(server: NetServer | HttpServer): Promise<void> {
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
}

interface Harness {
  proxy: EgressProxy;
  port: number;
  decisions: ProxyDecision[];
  firstBytes: { info: FirstBytesInfo; text: string }[];
}

async function startProxy(filter: EgressFilter = policyFilter): Promise<Harness> {
  const decisions: ProxyDecision[] = [];
  const firstBytes: Harness['firstBytes'] = [];
  const proxy = new EgressProxy({
    sandboxId: 'sbx-test',
    filter,
    resolver: new StaticResolver({
      'allowed.example': { address: '127.0.0.1', port: originPort },
      'allowed.example:7000': { address: '127.0.0.1', port: echoPort },
      'echo.fake.example': { address: '127.0.0.1', port: echoPort },
      'down.fake.example': { address: '127.0.0.1', port: closedPort },
    }),
    onDecision: (d) => decisions.push(d),
    onFirstBytes: (info, chunk) => firstBytes.push({ info, text: chunk.toString('latin1') }),
    connectTimeoutMs: 2000,
  });
  const { port } = await proxy.listen('127.0.0.1');
  return { proxy, port, decisions, firstBytes };
}

/** Accumulates everything a socket receives, with a way to wait for a condition on it. */
function collect(socket: Socket): { data: () => Buffer; closed: () => boolean; until: (pred: () => boolean) => Promise<void> } {
  let data = Buffer.alloc(0);
  let closed = false;
  const waiters = new Set<() => void>();
  socket.on('data', (c: Buffer) => {
    data = Buffer.concat([data, c]);
    for (const w of [...waiters]) w();
  });
  socket.on('close', () => {
    closed = true;
    for (const w of [...waiters]) w();
  });
  socket.on('error', () => undefined);
  const until = (pred: () => boolean): Promise<void> =>
    new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        waiters.delete(check);
        reject(new Error(`timed out; received ${JSON.stringify(data.toString('latin1'))}`));
      }, 3000);
      function check(): void {
        if (!pred()) return;
        waiters.delete(check);
        clearTimeout(timer);
        resolve();
      }
      waiters.add(check);
      check();
    });
  return { data: () => data, closed: () => closed, until };
}

interface RawResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
}

function parseHead(buf: Buffer): { head: RawResponse; rest: Buffer } | null {
  const end = buf.indexOf('\r\n\r\n');
  if (end < 0) return null;
  const [statusLine = '', ...lines] = buf.subarray(0, end).toString('latin1').split('\r\n');
  const headers: Record<string, string> = {};
  for (const line of lines) {
    const i = line.indexOf(':');
    headers[line.slice(0, i).toLowerCase()] = line.slice(i + 1).trim();
  }
  return { head: { status: Number(statusLine.split(' ')[1]), headers, body: '' }, rest: buf.subarray(end + 4) };
}

/** Speaks CONNECT on a raw socket; `head` rides in the same write as the request. */
async function openTunnel(port: number, target: string, head = '') {
  const socket = connect(port, '127.0.0.1');
  const c = collect(socket);
  await once(socket, 'connect');
  socket.write(`CONNECT ${target} HTTP/1.1\r\nHost: ${target}\r\n\r\n${head}`);
  await c.until(() => parseHead(c.data()) !== null);
  const parsed = parseHead(c.data());
  assert.ok(parsed);
  const headLength = c.data().length - parsed.rest.length;
  return { socket, ...c, response: parsed.head, payload: () => c.data().subarray(headLength).toString('latin1') };
}

/** Sends one absolute-form request through the proxy with node:http (the target goes in `path`). */
async function proxiedRequest(port: number, method: string, url: string, headers: Record<string, string> = {}, body = '') {
  const req = httpRequest({ host: '127.0.0.1', port, method, path: url, headers, agent: false });
  req.end(body);
  const [res] = (await once(req, 'response')) as [IncomingMessage];
  let text = '';
  res.setEncoding('utf8');
  for await (const chunk of res) text += chunk as string;
  return { status: res.statusCode ?? 0, headers: res.headers, body: text };
}

async function waitFor(pred: () => boolean): Promise<void> {
  const deadline = Date.now() + 3000;
  while (!pred()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await delay(10);
  }
}

describe('EgressProxy: CONNECT', () => {
  it('tunnels bytes both ways and records exact counts', async () => {
    const h = await startProxy();
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
      assert.equal(d.reason, 'allowed by rule "allowed.example"');
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
    const h = await startProxy();
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
      assert.deepEqual({ ...out.info, connectionId: 0 }, { connectionId: 0, host: 'echo.fake.example', port: 22, direction: 'out' });
      assert.equal(out.info.connectionId, inn.info.connectionId);
    } finally {
      await h.proxy.close();
    }
  });

  it('keeps large streams intact under backpressure, even when sent before the 200', async () => {
    const h = await startProxy();
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
    const h = await startProxy();
    try {
      const t = await openTunnel(h.port, 'blocked.fake.example:443');
      assert.equal(t.response.status, 403);
      assert.equal(t.response.headers['x-praetor-denied'], 'denied by rule "blocked.fake.example"');
      assert.equal(t.response.headers['x-praetor-sandbox'], 'sbx-test');
      await t.until(() => t.closed());
      assert.equal(t.payload(), 'praetor: egress to blocked.fake.example:443 denied: denied by rule "blocked.fake.example"\n');
      assert.equal(h.decisions.length, 1);
      assert.deepEqual(
        { ...h.decisions[0], time: 0 },
        {
          kind: 'proxy-decision', sandboxId: 'sbx-test', time: 0, method: 'CONNECT', host: 'blocked.fake.example',
          port: 443, decision: 'denied', reason: 'denied by rule "blocked.fake.example"', bytesOut: 0, bytesIn: 0,
          resolvedAddress: null, error: null,
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
      const h = await startProxy(filter);
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

  it('fails closed when the filter does not answer in time', async () => {
    const decisions: ProxyDecision[] = [];
    const proxy = new EgressProxy({
      sandboxId: 'sbx-test',
      filter: () => new Promise(() => undefined),
      resolver: new StaticResolver({}),
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
    const h = await startProxy();
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

  it('rejects malformed targets with 400 and no decision', async () => {
    const h = await startProxy();
    try {
      for (const target of ['a..b:443', 'allowed.example:99999', 'allowed.example:0', '[allowed.example]:443', 'user@allowed.example:443']) {
        const t = await openTunnel(h.port, target);
        assert.equal(t.response.status, 400, target);
      }
      assert.equal(h.decisions.length, 0);
    } finally {
      await h.proxy.close();
    }
  });

  it('close() tears down live tunnels and records them', async () => {
    const h = await startProxy();
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

describe('EgressProxy: absolute-form HTTP', () => {
  it('forwards a GET with hop-by-hop headers removed and Host from the target', async () => {
    const h = await startProxy();
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
    const h = await startProxy();
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
    const h = await startProxy();
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
    const h = await startProxy();
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

  it('answers 400 to origin-form and non-http absolute requests, with no decision', async () => {
    const h = await startProxy();
    try {
      const plain = await proxiedRequest(h.port, 'GET', '/');
      assert.equal(plain.status, 400);
      assert.match(plain.body, /egress proxy/);
      const https = await proxiedRequest(h.port, 'GET', 'https://allowed.example/');
      assert.equal(https.status, 400);
      assert.match(https.body, /CONNECT/);
      assert.equal(h.decisions.length, 0);
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
    const h = await startProxy();
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
    const h = await startProxy();
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
