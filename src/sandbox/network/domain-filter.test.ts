// Tests for host pattern matching, deny-wins policy decisions and pattern validation.

import * as assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { decideDomain, isValidHost, matchesPattern, normalizeHost, validateDomainPattern } from './domain-filter.js';

describe('normalizeHost', () => {
  it('lowercases, strips one trailing dot and IPv6 brackets', () => {
    assert.equal(normalizeHost('Registry.NPMJS.org.'), 'registry.npmjs.org');
    assert.equal(normalizeHost('[::1]'), '::1');
    assert.equal(normalizeHost('[0:0:0:0:0:0:0:1]'), '::1');
    assert.equal(normalizeHost('FE80::A'), 'fe80::a');
  });

  it('canonicalises IPv4 shorthands that resolvers would accept', () => {
    assert.equal(normalizeHost('127.1'), '127.0.0.1');
    assert.equal(normalizeHost('0x7f.0.0.1'), '127.0.0.1');
    assert.equal(normalizeHost('2130706433'), '127.0.0.1');
    assert.equal(normalizeHost('cafe.babe'), 'cafe.babe');
  });
});

describe('matchesPattern', () => {
  const table: [pattern: string, host: string, expected: boolean][] = [
    ['example.com', 'example.com', true],
    ['example.com', 'EXAMPLE.com.', true],
    ['example.com', 'www.example.com', false],
    ['example.com', 'badexample.com', false],
    ['*.example.com', 'www.example.com', true],
    ['*.example.com', 'a.b.example.com', true],
    ['*.example.com', 'example.com', false],
    ['*.example.com', 'badexample.com', false],
    ['*.example.com', 'example.com.evil.net', false],
    ['.example.com', 'example.com', true],
    ['.example.com', 'api.example.com', true],
    ['.example.com', 'notexample.com', false],
    ['Example.COM.', 'example.com', true],
    ['10.0.0.1', '10.0.0.1', true],
    ['10.0.0.1', '10.0.0.10', false],
    ['*.0.0.1', '10.0.0.1', false],
    ['.0.0.1', '10.0.0.1', false],
    ['127.0.0.1', '127.1', true],
    ['::1', '[::1]', true],
    ['[::1]', '0:0::1', true],
    ['::1', '::2', false],
  ];
  for (const [pattern, host, expected] of table) {
    it(`${pattern} ${expected ? 'matches' : 'does not match'} ${host}`, () => {
      assert.equal(matchesPattern(pattern, host), expected);
    });
  }
});

describe('decideDomain', () => {
  it('allows nothing by default', () => {
    assert.deepEqual(decideDomain({ allow: [], deny: [] }, 'example.com', 443), { allowed: false, reason: 'not in allow list' });
  });

  it('reports the allowing rule', () => {
    const d = decideDomain({ allow: ['registry.npmjs.org', '.pypi.org'], deny: [] }, 'files.pypi.org', 443);
    assert.deepEqual(d, { allowed: true, reason: 'allowed by rule ".pypi.org"' });
  });

  it('lets deny win over allow', () => {
    const policy = { allow: ['.pool.example', 'docs.example'], deny: ['*.pool.example'] };
    assert.deepEqual(decideDomain(policy, 'eu.pool.example', 443), { allowed: false, reason: 'denied by rule "*.pool.example"' });
    assert.deepEqual(decideDomain(policy, 'pool.example', 80), { allowed: true, reason: 'allowed by rule ".pool.example"' });
    assert.equal(decideDomain(policy, 'docs.example', 443).allowed, true);
    assert.equal(decideDomain(policy, 'other.example', 443).allowed, false);
  });

  it('cannot be dodged by spelling an address differently', () => {
    const policy = { allow: ['.internal.example', '10.1.2.3'], deny: ['10.1.2.3'] };
    assert.equal(decideDomain(policy, '10.1.515', 80).allowed, false);
    assert.equal(decideDomain(policy, '10.1.2.3.', 80).allowed, false);
  });

  it('opens 80 and 443 of an allowed name, other ports only when an entry names them', () => {
    const policy = { allow: ['allowed.test', 'api.test:8080', '*.svc.test:8443', '[::1]:9000', '10.0.0.1:22'], deny: [] };
    assert.equal(decideDomain(policy, 'allowed.test', 80).allowed, true);
    assert.equal(decideDomain(policy, 'allowed.test', 443).allowed, true);
    const ssh = decideDomain(policy, 'allowed.test', 2222);
    assert.equal(ssh.allowed, false);
    assert.match(ssh.reason, /^port 2222 not allowed: "allowed.test" opens 80 and 443 only \(name the port, as in allowed\.test:2222\)/);
    assert.deepEqual(decideDomain(policy, 'api.test', 8080), { allowed: true, reason: 'allowed by rule "api.test:8080"' });
    assert.match(decideDomain(policy, 'api.test', 443).reason, /"api.test:8080" opens 8080 only/);
    assert.equal(decideDomain(policy, 'a.svc.test', 8443).allowed, true);
    assert.equal(decideDomain(policy, 'a.svc.test', 443).allowed, false);
    assert.equal(decideDomain(policy, '::1', 9000).allowed, true);
    assert.equal(decideDomain(policy, '::1', 80).allowed, false);
    assert.equal(decideDomain(policy, '10.0.0.1', 22).allowed, true);
    assert.equal(decideDomain(policy, 'other.test', 80).reason, 'not in allow list');
  });

  it('a deny entry without a port closes every port; with one, that port', () => {
    const policy = { allow: ['a.test', 'a.test:22', 'b.test', 'b.test:22'], deny: ['a.test', 'b.test:22'] };
    assert.equal(decideDomain(policy, 'a.test', 22).allowed, false);
    assert.equal(decideDomain(policy, 'a.test', 443).allowed, false);
    assert.equal(decideDomain(policy, 'b.test', 22).allowed, false);
    assert.equal(decideDomain(policy, 'b.test', 443).allowed, true);
  });
});

describe('validateDomainPattern', () => {
  const valid = [
    'example.com', '*.example.com', '.example.com', 'example.com.', 'a_b.example', '10.0.0.1', '::1', '[2001:db8::1]', 'localhost',
    'example.com:443', 'example.com:8080', '*.example.com:8443', '[::1]:443', '10.0.0.1:22',
  ];
  for (const p of valid) {
    it(`accepts ${p}`, () => assert.equal(validateDomainPattern(p), null));
  }

  const invalid: [string, RegExp][] = [
    ['', /empty/],
    [' example.com', /whitespace/],
    ['exa mple.com', /whitespace/],
    ['*', /bare "\*"/],
    ['*example.com', /leading "\*\."/],
    ['www.*.example.com', /leading "\*\."/],
    ['example.*', /leading "\*\."/],
    ['**.example.com', /leading "\*\."/],
    ['https://example.com', /scheme/],
    ['example.com:0', /port 0 is not in 1\.\.65535/],
    ['example.com:70000', /port 70000 is not in 1\.\.65535/],
    ['example.com:80:443', /one port per entry/],
    ['example.com:', /":PORT"/],
    ['example.com:http', /":PORT"/],
    ['[::1]:', /one port per entry/],
    ['example.com/path', /path/],
    ['user@example.com', /credentials/],
    ['*.', /no domain/],
    ['.', /no domain/],
    ['a..example.com', /empty label/],
    ['-bad.example.com', /invalid label/],
    ['*.10.0.0.1', /IP literals/],
    ['.10.0.0.1', /IP literals/],
    ['[example.com]', /IPv6/],
  ];
  for (const [p, why] of invalid) {
    it(`rejects ${JSON.stringify(p)}`, () => assert.match(validateDomainPattern(p) ?? 'accepted', why));
  }
});

describe('isValidHost', () => {
  it('accepts names and addresses, rejects junk', () => {
    for (const h of ['example.com', '127.0.0.1', '::1', 'under_score.example']) assert.equal(isValidHost(h), true, h);
    for (const h of ['', 'a..b', 'exa mple.com', 'a/b', '*.example.com', 'x'.repeat(254)]) assert.equal(isValidHost(h), false, h);
  });
});
