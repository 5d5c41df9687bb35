// Egress proxy end to end on 127.0.0.1: what it refuses after the domain policy said yes (internal
// addresses, the SSRF check), and the requests it refuses before any policy (malformed, SOCKS5
// BIND and UDP ASSOCIATE), each recorded as a denied decision.
import * as assert from 'node:assert/strict';
import { once } from 'node:events';
import { connect } from 'node:net';
import { describe, it } from 'node:test';
import { AddressPolicy } from './address-policy.js';
import { GREETING, collect, openTunnel, policyFilter, proxiedRequest, startProxy, useOrigins, waitFor } from '../../testing/egress-proxy-harness.js';

const origins = useOrigins();
/** The product default: no allowance, so loopback is refused. */
const strict = new AddressPolicy({ allowCidrs: [], hostAddresses: () => [] });
const checkAddress = (address: string) => strict.decide(address);

async function socks(port: number, request: number[]) {
  const socket = connect(port, '127.0.0.1');
  const c = collect(socket);
  await once(socket, 'connect');
  socket.write(Buffer.from([5, 1, 0]));
  await c.until(() => c.data().length >= 2);
  socket.write(Buffer.from(request));
  await c.until(() => c.data().length >= 12 || c.closed());
  return { socket, ...c, reply: c.data()[3] };
}

const domainRequest = (command: number, host: string, port: number): number[] => {
  const name = Buffer.from(host, 'latin1');
  return [5, command, 0, 3, name.length, ...name, port >> 8, port & 0xff];
};

describe('EgressProxy: internal addresses', () => {
  it('refuses a CONNECT whose allowed name resolves to loopback, and records why', async () => {
    const h = await startProxy(origins, policyFilter, { checkAddress });
    try {
      const t = await openTunnel(h.port, 'allowed.example:7000');
      assert.equal(t.response.status, 403);
      assert.match(t.response.headers['x-praetor-denied'] ?? '', /^internal-address: 127\.0\.0\.1 is a loopback address/);
      await t.until(() => t.closed());
      assert.ok(!t.payload().includes(GREETING), 'the loopback service said nothing to the client');
      await waitFor(() => h.decisions.length === 1);
      const d = h.decisions[0];
      assert.deepEqual([d?.decision, d?.resolvedAddress, d?.addressClass], ['denied', '127.0.0.1', 'loopback']);
      assert.match(d?.reason ?? '', /^internal-address: /);
      assert.equal(d?.bytesOut, 0);
    } finally {
      await h.proxy.close();
    }
  });

  it('refuses plain HTTP and SOCKS5 the same way', async () => {
    const h = await startProxy(origins, policyFilter, { checkAddress });
    try {
      const res = await proxiedRequest(h.port, 'GET', 'http://allowed.example/');
      assert.equal(res.status, 403);
      assert.match(String(res.headers['x-praetor-denied']), /^internal-address: /);
      const s = await socks(h.port, domainRequest(1, 'echo.fake.example', 4242));
      assert.equal(s.reply, 0x02);
      await waitFor(() => h.decisions.length === 2);
      assert.deepEqual(h.decisions.map((d) => [d.method, d.decision, d.addressClass]).sort(), [
        ['CONNECT', 'denied', 'loopback'],
        ['HTTP', 'denied', 'loopback'],
      ]);
    } finally {
      await h.proxy.close();
    }
  });

  it('refuses IPv4-mapped loopback and a resolver answer that is a name (no second lookup)', async () => {
    const h = await startProxy(origins, policyFilter, {
      checkAddress,
      entries: {
        'mapped.fake.example': { address: '::ffff:127.0.0.1', port: origins.echoPort },
        'named.fake.example': { address: 'localhost', port: origins.echoPort },
      },
    });
    try {
      for (const target of ['mapped.fake.example:443', 'named.fake.example:443']) {
        const t = await openTunnel(h.port, target);
        assert.equal(t.response.status, 403, target);
      }
      await waitFor(() => h.decisions.length === 2);
      assert.deepEqual(h.decisions.map((d) => d.addressClass), ['loopback', 'not-an-address']);
    } finally {
      await h.proxy.close();
    }
  });

  it('lets a service praetor runs itself through, and denies when the check throws', async () => {
    const h = await startProxy(origins, policyFilter, {
      checkAddress: (address) => (address === '127.0.0.2' ? (() => { throw new Error('boom'); })() : strict.decide(address)),
      entries: {
        'gw.fake.example': { address: '127.0.0.1', port: origins.echoPort, trustedService: 'model gateway' },
        'odd.fake.example': { address: '127.0.0.2', port: origins.echoPort },
      },
    });
    try {
      const gw = await openTunnel(h.port, 'gw.fake.example:443');
      assert.equal(gw.response.status, 200);
      await gw.until(() => gw.payload() === GREETING);
      gw.socket.end();
      const odd = await openTunnel(h.port, 'odd.fake.example:443');
      assert.equal(odd.response.status, 403);
      assert.match(odd.response.headers['x-praetor-denied'] ?? '', /check failed: boom/);
    } finally {
      await h.proxy.close();
    }
  });
});

describe('EgressProxy: requests refused before any policy are recorded', () => {
  it('SOCKS5 BIND and UDP ASSOCIATE get "command not supported" and a denied record', async () => {
    const h = await startProxy(origins);
    try {
      const bind = await socks(h.port, domainRequest(2, 'echo.fake.example', 4242));
      assert.equal(bind.reply, 0x07);
      const udp = await socks(h.port, [5, 3, 0, 1, 0, 0, 0, 0, 0, 0]);
      assert.equal(udp.reply, 0x07);
      await waitFor(() => h.decisions.length === 2);
      assert.deepEqual(
        h.decisions.map((d) => [d.method, d.decision, d.host, d.port, d.reason]),
        [
          ['BIND', 'denied', 'echo.fake.example', 4242, 'SOCKS5 BIND is not supported'],
          ['UDP-ASSOCIATE', 'denied', '0.0.0.0', 0, 'SOCKS5 UDP ASSOCIATE is not supported'],
        ],
      );
    } finally {
      await h.proxy.close();
    }
  });

  it('a malformed SOCKS5 request and an unparseable HTTP request are recorded', async () => {
    const h = await startProxy(origins);
    try {
      const badType = await socks(h.port, [5, 1, 0, 9, 0, 0]);
      assert.equal(badType.reply, 0x08);
      const raw = connect(h.port, '127.0.0.1');
      const c = collect(raw);
      await once(raw, 'connect');
      raw.write('GET http://allowed.example/ HTTP/1.1\r\nBad Header Line\r\n\r\n');
      await c.until(() => c.closed());
      assert.match(c.data().toString('latin1'), /^HTTP\/1\.1 400 Bad Request/);
      await waitFor(() => h.decisions.length === 2);
      assert.deepEqual(h.decisions.map((d) => [d.method, d.decision]), [['CONNECT', 'denied'], ['HTTP', 'denied']]);
      assert.match(h.decisions[0]?.reason ?? '', /^malformed SOCKS5 request: address type 9 not supported/);
      assert.match(h.decisions[1]?.reason ?? '', /^malformed request: HPE_/);
    } finally {
      await h.proxy.close();
    }
  });
});

describe('EgressProxy: inspection across chunks', () => {
  it('shows the hook the next chunks while it asks, and stops when it stops asking', async () => {
    const h = await startProxy(origins, policyFilter, { inspectMore: (info, chunk) => info.direction === 'out' && !chunk.includes('\n') });
    try {
      const t = await openTunnel(h.port, 'echo.fake.example:22');
      await t.until(() => t.payload() === GREETING);
      for (const part of ['SSH-2.0-', 'split', '\r\n', 'after']) {
        t.socket.write(part);
        await t.until(() => t.payload().endsWith(part));
      }
      t.socket.end();
      await waitFor(() => h.decisions.length === 1);
      assert.deepEqual(h.firstBytes.filter((f) => f.info.direction === 'out').map((f) => f.text), ['SSH-2.0-', 'split', '\r\n']);
      assert.equal(t.payload(), `${GREETING}SSH-2.0-split\r\nafter`);
    } finally {
      await h.proxy.close();
    }
  });
});
