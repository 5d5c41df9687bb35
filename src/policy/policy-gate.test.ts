import * as assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { ShellParser } from '../shell/shell-parser.js';
import { ApprovalQueue, callbackApprover } from './approval.js';
import { PolicyEngine } from './policy-engine.js';
import { PolicyGate } from './policy-gate.js';
import { loadPolicyText } from './policy-loader.js';

const POLICY = `name: g
rules:
  - { id: ask-push, decision: ask, reason: pushing needs a person, command: { program: git, args: { prefix: [push] } } }
  - { id: no-nmap, decision: deny, reason: no scans, technique: T1046, command: { program: nmap } }
`;

describe('PolicyGate', () => {
  let engine: PolicyEngine;
  const exec = (command: string) => ({ kind: 'exec' as const, argv: ['bash', '-c', command], cwd: '/workspace', env: {}, stdin: null });
  before(async () => {
    const parser = await ShellParser.create();
    const loaded = loadPolicyText(POLICY, 'g.yaml', parser, { tier: 'admin' });
    assert.ok(loaded.layer);
    engine = new PolicyEngine(parser, [loaded.layer]);
  });

  it('records a deny with its rule and technique, and an allow', async () => {
    const gate = new PolicyGate(engine);
    const denied = await gate.decide('sb', 3, exec('nmap -p 22 10.0.0.0/24'));
    assert.equal(denied.final, 'deny');
    assert.equal(denied.ruleId, 'no-nmap');
    assert.equal(denied.technique, 'T1046');
    assert.equal(denied.step, 3);
    assert.equal((await gate.decide('sb', 4, exec('git status'))).final, 'allow');
  });

  it('holds an ask until the approver answers', async () => {
    const allow = new PolicyGate(engine, { approver: callbackApprover(() => 'allow', 'tester') });
    const r = await allow.decide('sb', 1, exec('git push'));
    assert.equal(r.decision, 'ask');
    assert.equal(r.final, 'allow');
    assert.equal(r.approval?.by, 'tester');
    const deny = new PolicyGate(engine, { approver: callbackApprover(() => 'deny') });
    assert.equal((await deny.decide('sb', 1, exec('git push'))).final, 'deny');
  });

  it('denies an ask without an approver, or when no answer comes in time', async () => {
    assert.equal((await new PolicyGate(engine).decide('sb', 1, exec('git push'))).final, 'deny');
    const queue = new ApprovalQueue();
    const gate = new PolicyGate(engine, { approver: queue, approvalTimeoutMs: 50 });
    const r = await gate.decide('sb', 1, exec('git push'));
    assert.equal(r.final, 'deny');
    assert.match(r.reason, /no approval within/);
    assert.deepEqual(queue.pending(), []);
  });

  it('lets a queued ask be answered by id', async () => {
    const queue = new ApprovalQueue();
    queue.onRequest((req) => setImmediate(() => assert.ok(queue.resolve(req.id, 'allow', 'operator'))));
    const r = await new PolicyGate(engine, { approver: queue }).decide('sb', 2, exec('git push --force'));
    assert.equal(r.final, 'allow');
    assert.equal(r.approval?.by, 'operator');
  });

  it('on a running process, acts only on a rule that denies', () => {
    const gate = new PolicyGate(engine);
    assert.equal(gate.checkProcess('sb', 1, ['/usr/bin/nmap', '-sT', 'h'], 42)?.pid, 42);
    assert.equal(gate.checkProcess('sb', 1, ['git', 'push'], 43), null);
    assert.equal(gate.checkProcess('sb', 1, ['sh', '-c', '$x'], 44), null);
  });
});
