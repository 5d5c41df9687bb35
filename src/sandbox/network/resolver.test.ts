// Tests for the static and DNS upstream resolvers (offline: the DNS lookup is injected or local-only).

import * as assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DnsResolver, ResolveError, StaticResolver } from './resolver.js';

describe('StaticResolver', () => {
  const table = new StaticResolver({
    'pool.example': { address: '127.0.0.1', port: 4444 },
    'docs.example': '127.0.0.1',
    'docs.example:8443': { address: '127.0.0.2', port: 9443 },
    '[::1]:80': { address: '127.0.0.3', port: 8080 },
    'Mixed.Case.Example.': '127.0.0.4',
  });

  it('maps a name to a fixed address and port', async () => {
    assert.deepEqual(await table.resolve('pool.example', 3333), { address: '127.0.0.1', port: 4444 });
  });

  it('keeps the requested port for string entries', async () => {
    assert.deepEqual(await table.resolve('docs.example', 443), { address: '127.0.0.1', port: 443 });
  });

  it('prefers a host:port entry over the plain host entry', async () => {
    assert.deepEqual(await table.resolve('docs.example', 8443), { address: '127.0.0.2', port: 9443 });
    assert.deepEqual(await table.resolve('[::1]', 80), { address: '127.0.0.3', port: 8080 });
    assert.deepEqual(await table.resolve('::1', 80), { address: '127.0.0.3', port: 8080 });
  });

  it('normalises names on both sides', async () => {
    assert.deepEqual(await table.resolve('DOCS.example.', 80), { address: '127.0.0.1', port: 80 });
    assert.deepEqual(await table.resolve('mixed.case.example', 80), { address: '127.0.0.4', port: 80 });
  });

  it('returns copies, so callers cannot edit the table', async () => {
    const first = await table.resolve('pool.example', 1);
    first.port = 1;
    assert.equal((await table.resolve('pool.example', 1)).port, 4444);
  });

  it('rejects unknown names with ResolveError ENOTFOUND', async () => {
    await assert.rejects(table.resolve('nowhere.example', 443), (err: unknown) => {
      assert.ok(err instanceof ResolveError);
      assert.equal(err.code, 'ENOTFOUND');
      assert.equal(err.host, 'nowhere.example');
      return true;
    });
  });

  it('hands unknown names to the fallback', async () => {
    const seen: string[] = [];
    const withFallback = new StaticResolver({ 'a.example': '127.0.0.1' }, {
      resolve: (host, port) => {
        seen.push(`${host}:${port}`);
        return Promise.resolve({ address: '127.0.0.9', port });
      },
    });
    assert.deepEqual(await withFallback.resolve('b.example', 22), { address: '127.0.0.9', port: 22 });
    assert.deepEqual(await withFallback.resolve('a.example', 22), { address: '127.0.0.1', port: 22 });
    assert.deepEqual(seen, ['b.example:22']);
  });

  it('refuses entries with impossible ports', () => {
    assert.throws(() => new StaticResolver({ 'x.example': { address: '127.0.0.1', port: 0 } }), RangeError);
    assert.throws(() => new StaticResolver({ 'x.example:70000': '127.0.0.1' }), RangeError);
  });
});

describe('DnsResolver', () => {
  it('resolves IP literals and localhost without leaving the machine', async () => {
    const dns = new DnsResolver();
    assert.deepEqual(await dns.resolve('127.0.0.1', 8080), { address: '127.0.0.1', port: 8080 });
    const local = await dns.resolve('localhost', 80);
    assert.match(local.address, /^(127\.|::1$)/);
  });

  it('wraps lookup failures in ResolveError with a mapped code', async () => {
    const failing = (code: string) =>
      new DnsResolver(() => Promise.reject(Object.assign(new Error(`getaddrinfo ${code} x`), { code })));
    const codeOf = async (r: DnsResolver): Promise<string> => {
      try {
        await r.resolve('x.example', 443);
        return 'resolved';
      } catch (err) {
        assert.ok(err instanceof ResolveError);
        return err.code;
      }
    };
    assert.equal(await codeOf(failing('ENOTFOUND')), 'ENOTFOUND');
    assert.equal(await codeOf(failing('EAI_AGAIN')), 'EAI_AGAIN');
    assert.equal(await codeOf(failing('EWEIRD')), 'EFAIL');
  });

  it('uses the first address the lookup returns', async () => {
    const dns = new DnsResolver(() => Promise.resolve({ address: '127.0.0.7' }));
    assert.deepEqual(await dns.resolve('anything.example', 5), { address: '127.0.0.7', port: 5 });
  });
});
