import { describe, it } from 'node:test';
import * as assert from 'node:assert/strict';
import { addStepRules, buildCellRuleset, denialLogPrefix, stepRule } from './nft-ruleset.js';

const step1 = { step: 1, cgroupPath: 'unified/praetor/sb-1/step-1', level: 3 };

describe('buildCellRuleset', () => {
  const ruleset = buildCellRuleset({ sandboxId: 'sb-1', proxyAddress: '10.241.0.1', proxyPort: 3128, steps: [step1] });
  const lines = ruleset.split('\n').map((l) => l.trim());

  it('drops by default in both directions', () => {
    assert.ok(lines.includes('type filter hook output priority filter; policy drop;'));
    assert.ok(lines.includes('type filter hook input priority filter; policy drop;'));
  });

  it('lets out only loopback, replies, and the proxy port on the host side', () => {
    const out = lines.slice(lines.indexOf('chain output {'), lines.indexOf('chain input {'));
    const accepts = out.filter((l) => l.endsWith('accept'));
    assert.deepEqual(accepts, ['oif "lo" accept', 'ct state established,related accept', 'ip daddr 10.241.0.1 tcp dport 3128 accept']);
  });

  it('logs every other attempt to the nflog group, per step first, then for the sandbox', () => {
    const out = lines.slice(lines.indexOf('chain output {'));
    assert.ok(out.indexOf('jump steps') < out.indexOf('log prefix "praetor:sb-1:- " group 7270 goto deny'));
    assert.ok(lines.includes('socket cgroupv2 level 3 "unified/praetor/sb-1/step-1" log prefix "praetor:sb-1:1 " group 7270 goto deny'));
  });

  it('rejects instead of dropping so agents fail fast', () => {
    assert.ok(lines.includes('meta l4proto tcp reject with tcp reset'));
    assert.ok(lines.includes('reject with icmpx admin-prohibited'));
  });

  it('refuses values that could inject rules', () => {
    assert.throws(() => buildCellRuleset({ sandboxId: 'sb-1', proxyAddress: '10.0.0.1; flush ruleset', proxyPort: 3128, steps: [] }));
    assert.throws(() => stepRule('sb-1', { ...step1, cgroupPath: 'x" accept #' }));
    assert.throws(() => buildCellRuleset({ sandboxId: 'sb-1', proxyAddress: '10.0.0.1', proxyPort: 70000, steps: [] }));
  });
});

describe('step rules', () => {
  it('appends further steps to the steps chain', () => {
    assert.equal(
      addStepRules('sb-1', [{ ...step1, step: 9, cgroupPath: 'praetor/sb-1/step-9' }]),
      'add rule inet praetor steps socket cgroupv2 level 3 "praetor/sb-1/step-9" log prefix "praetor:sb-1:9 " group 7270 goto deny\n',
    );
  });

  it('keeps log prefixes inside the kernel limit', () => {
    assert.equal(denialLogPrefix('sb-1', null), 'praetor:sb-1:- ');
    assert.throws(() => denialLogPrefix('x'.repeat(130), 1), /too long/);
  });
});
