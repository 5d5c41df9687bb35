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
    assert.deepEqual(decideDomain({ allow: [], deny: [] }, 'example.com'), { allowed: false, reason: 'not in allow list' });
  });

  it('reports the allowing rule', () => {
    const d = decideDomain({ allow: ['registry.npmjs.org', '.pypi.org'], deny: [] }, 'files.pypi.org');
    assert.deepEqual(d, { allowed: true, reason: 'allowed by rule ".pypi.org"' });
  });

  it('lets deny win over allow', () => {
    const policy = { allow: ['.pool.example', 'docs.example'], deny: ['*.pool.example'] };
    assert.deepEqual(decideDomain(policy, 'eu.pool.example'), { allowed: false, reason: 'denied by rule "*.pool.example"' });
    assert.deepEqual(decideDomain(policy, 'pool.example'), { allowed: true, reason: 'allowed by rule ".pool.example"' });
    assert.equal(decideDomain(policy, 'docs.example').allowed, true);
    assert.equal(decideDomain(policy, 'other.example').allowed, false);
  });

  it('cannot be dodged by spelling an address differently', () => {
    const policy = { allow: ['.internal.example', '10.1.2.3'], deny: ['10.1.2.3'] };
    assert.equal(decideDomain(policy, '10.1.515').allowed, false);
    assert.equal(decideDomain(policy, '10.1.2.3.').allowed, false);
  });
});

describe('validateDomainPattern', () => {
  const valid = ['example.com', '*.example.com', '.example.com', 'example.com.', 'a_b.example', '10.0.0.1', '::1', '[2001:db8::1]', 'localhost'];
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
    ['example.com:443', /port/],
    ['[::1]:443', /port/],
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
