// Test harness of the egress proxy. End-to-end tests of the egress proxy on 127.0.0.1: local HTTP origin and TCP echo servers stand in
// for the internet through a StaticResolver; clients are raw sockets so nothing here is proxy-aware.

import * as assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer as createHttpServer, request as httpRequest, type IncomingMessage, type Server as HttpServer } from 'node:http';
import { connect, createServer as createNetServer, type AddressInfo, type Server as NetServer, type Socket } from 'node:net';
import { after, before } from 'node:test';
import { setTimeout as delay } from 'node:timers/promises';
import { AddressPolicy } from '../sandbox/network/address-policy.js';
import { decideDomain } from '../sandbox/network/domain-filter.js';
import { EgressProxy, type EgressFilter, type EgressProxyOptions, type FirstBytesInfo } from '../sandbox/network/egress-proxy.js';
import type { ProxyDecision } from '../sandbox/network/network-events.js';
import { StaticResolver, type StaticEntry } from '../sandbox/network/resolver.js';

export const GREETING = 'HELLO\n';
export const policy = {
  allow: ['allowed.example', 'allowed.example:7000', '.fake.example', '.fake.example:22', '.fake.example:4242'],
  deny: ['blocked.fake.example'],
};
/** The local origins live on loopback: these tests allow it, as a sandbox would with allowCidrs. */
export const loopbackAllowed = new AddressPolicy({ allowCidrs: ['127.0.0.1/32'], hostAddresses: () => [] });
export const policyFilter: EgressFilter = (host, port) => decideDomain(policy, host, port);

export interface Origins {
  originPort: number;
  echoPort: number;
  closedPort: number;
}

/** Starts the local origin (HTTP) and echo (TCP) servers for a test file; ports fill in before tests run. */
export function useOrigins(): Origins {
  const ports: Origins = { originPort: 0, echoPort: 0, closedPort: 0 };
  let origin: HttpServer;
  let echo: NetServer;
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
    ports.originPort = (origin.address() as AddressInfo).port;
    ports.echoPort = (echo.address() as AddressInfo).port;
    ports.closedPort = (unused.address() as AddressInfo).port;
    await new Promise<void>((resolve) => unused.close(() => resolve()));
  });
  after(async () => {
    origin.closeAllConnections();
    await Promise.all([new Promise((r) => origin.close(r)), new Promise((r) => echo.close(r))]);
  });
  return ports;
}

export function listenLocal(server: NetServer | HttpServer): Promise<void> {
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
}

export interface Harness {
  proxy: EgressProxy;
  port: number;
  decisions: ProxyDecision[];
  firstBytes: { info: FirstBytesInfo; text: string }[];
}

export interface ProxyExtras {
  /** Default: loopback allowed (the origins live there). */
  checkAddress?: EgressProxyOptions['checkAddress'];
  /** More resolver entries; they win over the standard ones. */
  entries?: Record<string, StaticEntry>;
  /** Whether the first-bytes hook asks for the next chunk too. Default: no. */
  inspectMore?: (info: FirstBytesInfo, chunk: Buffer) => boolean;
}

export async function startProxy(ports: Origins, filter: EgressFilter = policyFilter, extras: ProxyExtras = {}): Promise<Harness> {
  const { originPort, echoPort, closedPort } = ports;
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
      ...extras.entries,
    }),
    onDecision: (d) => decisions.push(d),
    checkAddress: extras.checkAddress ?? ((address) => loopbackAllowed.decide(address)),
    onFirstBytes: (info, chunk) => {
      firstBytes.push({ info, text: chunk.toString('latin1') });
      return extras.inspectMore?.(info, chunk) ?? false;
    },
    connectTimeoutMs: 2000,
  });
  const { port } = await proxy.listen('127.0.0.1');
  return { proxy, port, decisions, firstBytes };
}

/** Accumulates everything a socket receives, with a way to wait for a condition on it. */
export function collect(socket: Socket): { data: () => Buffer; closed: () => boolean; until: (pred: () => boolean) => Promise<void> } {
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

export interface RawResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
}

export function parseHead(buf: Buffer): { head: RawResponse; rest: Buffer } | null {
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
export async function openTunnel(port: number, target: string, head = '') {
  const socket = connect(port, '127.0.0.1');
  const c = collect(socket);
  await once(socket, 'connect');
  socket.write(`CONNECT ${target} HTTP/1.1\r\nHost: ${target}\r\n\r\n${head}`);
  await c.until(() => parseHead(c.data()) !== null);
  const parsed = parseHead(c.data());
  assert.ok(parsed);
  const headLength = c.data().length - parsed.rest.length;
  const localPort = socket.localPort; // kept: a closed socket forgets it
  return { socket, localPort, ...c, response: parsed.head, payload: () => c.data().subarray(headLength).toString('latin1') };
}

/** Sends one absolute-form request through the proxy with node:http (the target goes in `path`). */
export async function proxiedRequest(port: number, method: string, url: string, headers: Record<string, string> = {}, body = '') {
  const req = httpRequest({ host: '127.0.0.1', port, method, path: url, headers, agent: false });
  req.end(body);
  const [res] = (await once(req, 'response')) as [IncomingMessage];
  let text = '';
  res.setEncoding('utf8');
  for await (const chunk of res) text += chunk as string;
  return { status: res.statusCode ?? 0, headers: res.headers, body: text };
}

export async function waitFor(pred: () => boolean): Promise<void> {
  const deadline = Date.now() + 3000;
  while (!pred()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await delay(10);
  }
}

