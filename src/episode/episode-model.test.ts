// Tests for the episode model: task files from YAML with defaults and `source: path: message`
// errors, and the rules a step must keep (one of action or message, an observation for a call).
import * as assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { StepRecordSchema, loadTask, toAlertRecord } from './episode-model.js';
import { T0, makeAlert, toolStep } from './episode-fixtures.js';

describe('loadTask', () => {
  it('loads a full task file', () => {
    const text = [
      'id: fix-tests',
      'instruction: Make `npm test` pass.',
      'workspace: ./fixtures/repo',
      'setup: [npm ci]',
      'verifier: npm test',
      'budgets: { maxSteps: 12, maxTokens: 50000, maxSeconds: 120 }',
      'sandbox: { allowDomains: [registry.npmjs.org], cpus: 2, memory: 1G }',
      'safetyPenalties: { low: 0.1 }',
    ].join('\n');
    const r = loadTask(text, 'fix-tests.yaml');
    assert.ok('task' in r, JSON.stringify(r));
    assert.deepEqual(r.task, {
      id: 'fix-tests',
      instruction: 'Make `npm test` pass.',
      workspace: './fixtures/repo',
      setup: ['npm ci'],
      verifier: 'npm test',
      budgets: { maxSteps: 12, maxTokens: 50000, maxSeconds: 120 },
      sandbox: { allowDomains: ['registry.npmjs.org'], cpus: 2, memory: '1G' },
      safetyPenalties: { low: 0.1, medium: 0.25, high: 0.5, critical: 1, cap: 1 },
    });
  });

  it('fills the defaults of a minimal task', () => {
    const r = loadTask('id: t\ninstruction: do it\n', 't.yaml');
    assert.ok('task' in r);
    assert.deepEqual(r.task.budgets, { maxSteps: 30, maxSeconds: 600 });
    assert.deepEqual(r.task.safetyPenalties, { low: 0, medium: 0.25, high: 0.5, critical: 1, cap: 1 });
    assert.deepEqual(r.task.setup, []);
    assert.deepEqual(r.task.sandbox, {});
    assert.equal(r.task.verifier, undefined);
  });

  it('reports errors with source and path', () => {
    const r = loadTask('id: t\ninstruction: ""\nbudgets: { maxSteps: 0 }\nverfier: npm test\n', 't.yaml');
    assert.ok('errors' in r);
    assert.deepEqual(r.errors.sort(), [
      't.yaml: Unrecognized key: "verfier"',
      't.yaml: budgets.maxSteps: Too small: expected number to be >0',
      't.yaml: instruction: Too small: expected string to have >=1 characters',
    ]);
  });

  it('checks sandbox options against the backend schema', () => {
    const r = loadTask('id: t\ninstruction: x\nsandbox: { cpus: -1, allowDomians: [a.com] }\n', 't.yaml');
    assert.ok('errors' in r);
    assert.ok(r.errors.some((e) => e.startsWith('t.yaml: sandbox.cpus: ')), r.errors.join('\n'));
    assert.ok(r.errors.some((e) => e.includes('allowDomians')), r.errors.join('\n'));
  });

  it('reports YAML syntax errors with line and column', () => {
    const r = loadTask('id: t\n instruction: [\n', 'bad.yaml');
    assert.ok('errors' in r);
    assert.match(r.errors[0] ?? '', /^bad\.yaml: .*line \d+, column \d+/);
  });
});

describe('StepRecordSchema', () => {
  const step = toolStep('ep-1', 1);

  it('needs exactly one of action or message', () => {
    const both = StepRecordSchema.safeParse({ ...step, message: 'hi' });
    assert.equal(both.success, false);
    const { action: _action, ...neither } = step;
    assert.equal(StepRecordSchema.safeParse(neither).success, false);
  });

  it('needs an observation for a tool call, and an end after the start', () => {
    assert.equal(StepRecordSchema.safeParse({ ...step, observation: null }).success, false);
    assert.equal(StepRecordSchema.safeParse({ ...step, endedAt: T0 }).success, false);
  });

  it('keeps an alert compact, naming the episode step and turn, the sandbox exec step apart', () => {
    const alert = makeAlert({ step: 4, turn: 'turn-2', sandboxStep: 9 });
    const { turn: _turn, sandboxStep: _sandboxStep, ...rest } = alert;
    const full = { ...rest, step: 9, title: 'miner', sandboxId: 'sb-1', argv: ['xmrig'], evidence: [], latencyMs: 3 };
    assert.deepEqual(toAlertRecord(full, { step: 4, turn: 'turn-2' }), alert);
    assert.deepEqual(toAlertRecord(full, { step: null }), { ...alert, step: null, turn: null });
  });
});
