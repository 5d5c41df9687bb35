// Invariant: an allowed name that resolves to an internal address (the host's loopback, the proxy
// itself, another sandbox's cell, the host's own addresses) is refused after resolution, over
// plain HTTP, CONNECT and SOCKS5 alike, and recorded as denied with the address and its class;
// only an explicit allowCidrs entry lets it through.
import { after, before, it } from 'node:test';
import * as assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { networkInterfaces } from 'node:os';
import { newBackend, sh } from './harness.js';
import type { LocalBackend } from '../local/local-backend.js';
import type { LocalSandbox } from '../local/local-sandbox.js';
import type { ProxyDecision } from '../network/network-events.js';
import { PROXY_PORT } from '../network/network-cell.js';
import type { UpstreamResolver, UpstreamTarget } from '../network/resolver.js';

/** A name table filled in as sandboxes appear (the proxy and cell addresses are known only then). */
const table = new Map<string, UpstreamTarget>();
const resolver: UpstreamResolver = {
  resolve: (host) => {
    const t = table.get(host);
    return t ? Promise.resolve({ ...t }) : Promise.reject(new Error(`no entry for ${host}`));
  },
};

let service: Server;
let served = 0;
let backend: LocalBackend;
before(async () => {
  // "The host's loopback service": something an agent must never reach through an allowed name.
  service = createServer((_req, res) => {
    served++;
    res.end('loopback secret\n');
  });
  await new Promise<void>((resolve) => service.listen(0, '127.0.0.1', resolve));
  table.set('allowed.test', { address: '127.0.0.1', port: (service.address() as { port: number }).port });
  backend = newBackend({ resolver });
});
after(async () => {
  service.close();
  await backend.close();
});

function decisions(sandbox: LocalSandbox): ProxyDecision[] {
  return sandbox.networkEvents().filter((e): e is ProxyDecision => e.kind === 'proxy-decision');
}

it('an allowed name mapped to loopback is refused over HTTP, CONNECT and SOCKS5, and recorded', async () => {
  const sandbox = await backend.create({ allowDomains: ['allowed.test'] });
  const proxy = `${sandbox.hostInfo().hostAddress}:${PROXY_PORT}`;
  const plain = await sh(sandbox, 'curl -sS -i http://allowed.test/');
  assert.match(plain.out, /^HTTP\/1\.1 403/, plain.out + plain.err);
  assert.match(plain.out, /x-praetor-denied: internal-address: 127\.0\.0\.1 is a loopback address/i);
  const tunnel = await sh(sandbox, 'curl -sS -o /dev/null -w "%{http_connect}" --proxytunnel http://allowed.test/');
  assert.equal(tunnel.out, '403', tunnel.err);
  const socks = await sh(sandbox, `curl -sS -o /dev/null -x socks5h://${proxy} http://allowed.test/`);
  assert.notEqual(socks.exitCode, 0);
  assert.doesNotMatch(plain.out + tunnel.out + socks.out, /loopback secret/);
  assert.equal(served, 0, 'the loopback service got no request');

  await sandbox.flushNetworkEvents();
  const refused = decisions(sandbox);
  assert.equal(refused.length, 3, JSON.stringify(refused));
  for (const d of refused) {
    assert.deepEqual([d.host, d.decision, d.resolvedAddress, d.addressClass], ['allowed.test', 'denied', '127.0.0.1', 'loopback']);
    assert.match(d.reason, /^internal-address: /);
    assert.equal(d.bytesOut + d.bytesIn, 0);
  }
  assert.deepEqual(refused.map((d) => d.method).sort(), ['CONNECT', 'CONNECT', 'HTTP']);
});

it('the proxy itself, another sandbox and the host are refused the same way', async () => {
  const other = await backend.create();
  const sandbox = await backend.create({ allowDomains: ['*.allowed.test'] });
  table.set('self.allowed.test', { address: sandbox.hostInfo().hostAddress, port: PROXY_PORT });
  table.set('other.allowed.test', { address: other.hostInfo().hostAddress, port: PROXY_PORT });
  // One of the host's own non-loopback addresses (never another machine's): the host's services.
  const own = Object.values(networkInterfaces())
    .flatMap((l) => l ?? [])
    .find((i) => i.family === 'IPv4' && !i.internal && !i.address.startsWith('10.241.'));
  if (own) table.set('host.allowed.test', { address: own.address, port: 22 });
  const names = ['self.allowed.test', 'other.allowed.test', ...(own ? ['host.allowed.test'] : [])];
  for (const name of names) {
    const r = await sh(sandbox, `curl -sS -o /dev/null -w "%{http_code}" http://${name}/`);
    assert.equal(r.out, '403', `${name}: ${r.err}`);
  }
  await sandbox.flushNetworkEvents();
  const byHost = new Map(decisions(sandbox).map((d) => [d.host, d]));
  // A cell's host end is one of the host's addresses, and in praetor's cell range: either class says so.
  assert.match(byHost.get('self.allowed.test')?.addressClass ?? '', /^(host|praetor-cell)$/);
  assert.match(byHost.get('other.allowed.test')?.addressClass ?? '', /^(host|praetor-cell)$/);
  if (own) assert.equal(byHost.get('host.allowed.test')?.addressClass, 'host');
  for (const name of names) assert.equal(byHost.get(name)?.decision, 'denied', name);
});

it('an explicit allowCidrs entry lets exactly that range through', async () => {
  const sandbox = await backend.create({ allowDomains: ['allowed.test'], allowCidrs: ['127.0.0.1/32'] });
  const r = await sh(sandbox, 'curl -sS http://allowed.test/');
  assert.equal(r.out, 'loopback secret\n', r.err);
  await sandbox.flushNetworkEvents();
  const [d] = decisions(sandbox);
  assert.deepEqual([d?.decision, d?.addressClass], ['allowed', 'loopback']);
  served = 0;
});

it('a bad allowCidrs entry is refused when the sandbox is created', async () => {
  await assert.rejects(backend.create({ allowCidrs: ['0.0.0.0/0'] }), /allowCidrs\[0\]: a \/0 would allow every address/);
  await assert.rejects(backend.create({ allowCidrs: ['localhost'] }), /allowCidrs\[0\]/);
});
