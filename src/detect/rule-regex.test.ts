import { describe, it } from 'node:test';
import * as assert from 'node:assert/strict';
import { compileRuleRegex, lazyRuleRegex, type RuleRegex } from './rule-regex.js';

function regex(pattern: string, flags = '', unless?: string): RuleRegex {
  const r = compileRuleRegex(pattern, flags, unless);
  if ('error' in r) throw new Error(r.error);
  return r.regex;
}

describe('rule regexes (RE2)', () => {
  it('runs a pattern that backtracks exponentially in JavaScript in linear time', { timeout: 10_000 }, () => {
    // /(a+)+$/ on this text takes longer than the test's timeout in V8's backtracking engine.
    const text = `${'a'.repeat(200_000)}!`;
    assert.equal(regex('(a+)+$').test(text), false);
    assert.equal(regex('(a|aa)+$').test(text), false);
    assert.equal(regex('(a+)+$').test('aaaa'), true);
  });

  it('refuses lookaround and backreferences at load, and says what to use instead', () => {
    for (const p of ['a(?!b)', 'a(?=b)', '(?<!a)b', '(a)\\1']) {
      const r = compileRuleRegex(p);
      assert.ok('error' in r, p);
      assert.match(r.error, /invalid regex/);
    }
    const look = compileRuleRegex('x(?!y)');
    assert.ok('error' in look && /RE2.*unless/.test(look.error), JSON.stringify(look));
    const bad = compileRuleRegex('ok', '', '(');
    assert.ok('error' in bad && bad.where === 'unless');
  });

  it('takes the i, m and s flags', () => {
    assert.equal(regex('stratum\\+tcp://', 'i').test('STRATUM+TCP://pool'), true);
    assert.equal(regex('^b$', 'm').test('a\nb\nc'), true);
    assert.equal(regex('^b$').test('a\nb\nc'), false);
    assert.equal(regex('a.b', 's').test('a\nb'), true);
  });

  it('unless discounts a match by its text, and the next match still counts', () => {
    const devTcp = regex('/dev/(tcp|udp)/[^/\\s]+/', '', '^/dev/(tcp|udp)/(localhost|127\\.[0-9.]+)/$');
    assert.equal(devTcp.test('until </dev/tcp/localhost/5432; do sleep 1; done'), false);
    assert.equal(devTcp.test('echo </dev/tcp/localhost/1; exec 3<>/dev/tcp/10.0.0.1/22'), true);
    assert.equal(devTcp.test('exec 3<>/dev/tcp/127.0.0.1x/22'), true);
    const key = regex('(^|[;&|(]|\\$\\()[^;&|()]*\\.ssh/id_rsa[\\w.-]?', '', '^([;&|(]|\\$\\()?\\s*(ssh|ssh-keygen)\\s|id_rsa[\\w.-]$');
    assert.equal(key.test('ssh-keygen -y -f ~/.ssh/id_rsa'), false);
    assert.equal(key.test('ssh-keygen -y -f ~/.ssh/id_rsa && cat ~/.ssh/id_rsa.pub'), false);
    assert.equal(key.test('ssh-keygen -y -f ~/.ssh/id_rsa; cat ~/.ssh/id_rsa'), true);
    assert.equal(key.test('echo "$(< ~/.ssh/id_rsa)"'), true);
    assert.equal(key.test('cat ~/.ssh/id_rsa;ssh-add ~/.ssh/id_rsa'), true);
    assert.equal(key.test('ssh-add ~/.ssh/id_rsa;cat ~/.ssh/id_rsa'), true);
  });

  it('a lazy regex answers as the compiled one, and holds on every text if it can not compile (fail closed)', () => {
    const cases: [string, string, string | undefined, string][] = [
      ['stratum\\+tcp://', 'i', undefined, 'STRATUM+TCP://pool'],
      ['^b$', 'm', undefined, 'a\nb'],
      ['/dev/(tcp|udp)/[^/\\s]+/', '', '^/dev/(tcp|udp)/localhost/$', '/dev/tcp/localhost/ /dev/tcp/evil/'],
      ['/dev/(tcp|udp)/[^/\\s]+/', '', '^/dev/(tcp|udp)/localhost/$', '/dev/tcp/localhost/'],
      ['xmrig', '', undefined, 'ls -la'],
    ];
    for (const [p, f, u, text] of cases) assert.equal(lazyRuleRegex(p, f, u).test(text), regex(p, f, u).test(text), `${p} on ${text}`);
    const broken = lazyRuleRegex('a(?!b)');
    assert.equal(broken.test('zzz'), true);
  });
});

