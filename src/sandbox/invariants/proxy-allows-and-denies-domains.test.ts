// Invariant: an allowed domain is reachable through the proxy; a denied one gets a 403 that says
// why; each decision is recorded with bytes both ways.
import { after, before, it } from 'node:test';
import * as assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { newBackend, sh } from './harness.js';
import { StaticResolver } from '../network/resolver.js';
import type { LocalBackend } from '../local/local-backend.js';
import type { ProxyDecision } from '../network/network-events.js';

let origin: Server;
let backend: LocalBackend;
before(async () => {
  origin = createServer((req, res) => {
    res.setHeader('content-type', 'text/plain');
    res.end(`docs for ${req.headers.host}\n`);
  });
  await new Promise<void>((resolve) => origin.listen(0, '127.0.0.1', resolve));
  const port = (origin.address() as { port: number }).port;
  // Names resolve to a local fake site: no traffic leaves this machine.
  const fake = { address: '127.0.0.1', port };
  backend = newBackend({
    resolver: new StaticResolver({ 'docs.example.test:80': fake, 'docs.example.test:443': fake, 'pool.example.test': fake }),
    allowCidrs: ['127.0.0.1/32'], // the fake site is on loopback, refused unless allowed
  });
});
after(async () => {
  origin.close();
  await backend.close();
});

it('allowed domain works through the proxy (plain and CONNECT), denied gets 403 with the reason', async () => {
  const sandbox = await backend.create({ allowDomains: ['docs.example.test', '*.example.test'], denyDomains: ['pool.example.test'] });
  const plain = await sh(sandbox, 'curl -sS http://docs.example.test/guide');
  assert.equal(plain.out, 'docs for docs.example.test\n', plain.err);
  const tunnel = await sh(sandbox, 'curl -sS --proxytunnel http://docs.example.test/guide');
  assert.equal(tunnel.out, 'docs for docs.example.test\n', tunnel.err);

  const denied = await sh(sandbox, 'curl -sS -i http://pool.example.test/');
  assert.match(denied.out, /^HTTP\/1\.1 403/);
  assert.match(denied.out, /x-praetor-denied: .*pool\.example\.test/i);
  assert.match(denied.out, /egress to pool\.example\.test:80 denied/);
  const deniedTunnel = await sh(sandbox, 'curl -sS -o /dev/null -w "%{http_code}" --proxytunnel http://pool.example.test:3333/');
  assert.match(deniedTunnel.out + deniedTunnel.err, /403/);

  const decisions = sandbox.networkEvents().filter((e): e is ProxyDecision => e.kind === 'proxy-decision');
  const allowed = decisions.filter((d) => d.decision === 'allowed' && d.host === 'docs.example.test');
  assert.equal(allowed.length, 2);
  for (const d of allowed) {
    assert.ok(d.bytesOut > 0 && d.bytesIn > 0, `bytes counted: ${JSON.stringify(d)}`);
    assert.equal(d.resolvedAddress, '127.0.0.1');
  }
  assert.deepEqual(allowed.map((d) => d.method).sort(), ['CONNECT', 'HTTP']);
  const refused = decisions.filter((d) => d.decision === 'denied');
  assert.deepEqual(refused.map((d) => `${d.host}:${d.port}`).sort(), ['pool.example.test:3333', 'pool.example.test:80']);
  assert.ok(refused.every((d) => d.bytesOut === 0 && d.bytesIn === 0 && /pool\.example\.test/.test(d.reason)));
});

it('nothing is allowed by default', async () => {
  const sandbox = await backend.create();
  const r = await sh(sandbox, 'curl -sS -o /dev/null -w "%{http_code}" http://docs.example.test/');
  assert.equal(r.out, '403');
});
