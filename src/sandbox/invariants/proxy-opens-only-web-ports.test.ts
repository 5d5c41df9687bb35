// Invariant: an allowed domain is reachable on ports 80 and 443 only; any other port (SSH on 2222,
// a dev server on 8080) needs an allow entry that names it ("host:8080"), over CONNECT, plain HTTP
// and SOCKS5 alike.
import { after, before, it } from 'node:test';
import * as assert from 'node:assert/strict';
import { createServer as createHttpServer, type Server as HttpServer } from 'node:http';
import { createServer as createTcpServer, type Server as TcpServer } from 'node:net';
import { newBackend, sh } from './harness.js';
import type { LocalBackend } from '../local/local-backend.js';
import type { ProxyDecision } from '../network/network-events.js';
import { PROXY_PORT } from '../network/network-cell.js';
import { StaticResolver } from '../network/resolver.js';

let web: HttpServer;
let ssh: TcpServer;
let sshBytes = 0;
let backend: LocalBackend;

function listen(server: HttpServer | TcpServer): Promise<number> {
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve((server.address() as { port: number }).port)));
}

before(async () => {
  web = createHttpServer((req, res) => res.end(`web on ${req.headers.host}\n`));
  ssh = createTcpServer((s) => {
    s.on('error', () => undefined);
    s.write('SSH-2.0-OpenSSH_9.2p1\r\n');
    s.on('data', (c) => (sshBytes += c.length));
  });
  const [webPort, sshPort] = await Promise.all([listen(web), listen(ssh)]);
  const to = (port: number) => ({ address: '127.0.0.1', port });
  backend = newBackend({
    resolver: new StaticResolver({
      'allowed.test:80': to(webPort),
      'allowed.test:443': to(webPort),
      'allowed.test:8080': to(webPort),
      'allowed.test:2222': to(sshPort),
    }),
    // The fakes are on loopback; this file is about ports, so loopback itself is allowed.
    allowCidrs: ['127.0.0.1/32'],
  });
});
after(async () => {
  web.close();
  ssh.close();
  await backend.close();
});

it('CONNECT allowed.test:2222 is refused: an allowed name opens 80 and 443 only', async () => {
  const sandbox = await backend.create({ allowDomains: ['allowed.test'] });
  const proxy = `${sandbox.hostInfo().hostAddress}:${PROXY_PORT}`;
  const web80 = await sh(sandbox, 'curl -sS http://allowed.test/');
  assert.equal(web80.out, 'web on allowed.test\n', web80.err);
  const web443 = await sh(sandbox, 'curl -sS --proxytunnel http://allowed.test:443/');
  assert.equal(web443.out, 'web on allowed.test:443\n', web443.err);

  const tunnel = await sh(sandbox, 'curl -sS --max-time 5 -o /dev/null -w "%{http_connect}" --proxytunnel telnet://allowed.test:2222 </dev/null');
  assert.equal(tunnel.out, '403', tunnel.err);
  const socks = await sh(sandbox, `curl -sS --max-time 5 -x socks5h://${proxy} telnet://allowed.test:2222 </dev/null`);
  assert.notEqual(socks.exitCode, 0);
  assert.doesNotMatch(tunnel.out + socks.out, /SSH-2\.0/);
  const plain = await sh(sandbox, 'curl -sS -i http://allowed.test:8080/');
  assert.match(plain.out, /^HTTP\/1\.1 403/);
  assert.match(plain.out, /port 8080 not allowed: "allowed.test" opens 80 and 443 only/);
  assert.equal(sshBytes, 0);

  await sandbox.flushNetworkEvents();
  const denied = sandbox.networkEvents().filter((e): e is ProxyDecision => e.kind === 'proxy-decision' && e.decision === 'denied');
  assert.deepEqual(denied.map((d) => `${d.method} ${d.host}:${d.port}`).sort(), [
    'CONNECT allowed.test:2222',
    'CONNECT allowed.test:2222',
    'HTTP allowed.test:8080',
  ]);
});

it('an allow entry that names a port opens that port, and only it', async () => {
  const sandbox = await backend.create({ allowDomains: ['allowed.test:8080'] });
  const r = await sh(sandbox, 'curl -sS http://allowed.test:8080/');
  assert.equal(r.out, 'web on allowed.test:8080\n', r.err);
  const web80 = await sh(sandbox, 'curl -sS -o /dev/null -w "%{http_code}" http://allowed.test/');
  assert.equal(web80.out, '403');
  const tunnel = await sh(sandbox, 'curl -sS --max-time 5 -o /dev/null -w "%{http_connect}" --proxytunnel telnet://allowed.test:2222 </dev/null');
  assert.equal(tunnel.out, '403');
});

it('a malformed port in an allow entry is refused when the sandbox is created', async () => {
  await assert.rejects(backend.create({ allowDomains: ['allowed.test:0'] }), /allowDomains\[0\]: port 0/);
  await assert.rejects(backend.create({ allowDomains: ['allowed.test:22:23'] }), /allowDomains\[0\]/);
});
