// Tests for the background compile of the regexes that built-in rules leave to their first use.
import * as assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { loadBuiltinRules, loadRules } from './rule-loader.js';
import type { CompiledRule } from './rule-schema.js';
import { warmRules } from './rule-warmup.js';

describe('warmRules', () => {
  it('warms every rule that has regexes left to compile, and stops when aborted', async () => {
    const warmed: string[] = [];
    const rule = (id: string, lazy: boolean): CompiledRule => ({ id, ...(lazy ? { warm: () => warmed.push(id) } : {}) }) as unknown as CompiledRule;
    const rules = [rule('a', true), rule('b', false), rule('c', true), rule('d', true)];
    await warmRules(rules, new AbortController().signal);
    assert.deepEqual(warmed, ['a', 'c', 'd']);
    warmed.length = 0;
    const stop = new AbortController();
    const running = warmRules(rules, stop.signal);
    stop.abort();
    await running;
    assert.deepEqual(warmed, []);
  });

  it('the built-in rules from the build cache compile their regexes lazily; a rule file from elsewhere at load', () => {
    const builtin = loadBuiltinRules();
    const lazy = builtin.rules.filter((r) => r.warm !== undefined);
    assert.ok(lazy.length > 10, `${lazy.length} built-in rules with lazy regexes`);
    for (const r of lazy) r.warm?.(); // every one compiles (the build compiled each once)
    const own = loadRules(
      ['rules:', '  - id: own', '    title: t', '    technique: T1496', '    severity: high', '    description: d', '    match:', '      event: process-start', '      where: { field: exe, op: regex, value: "a+" }'].join('\n'),
      'own.yaml',
    );
    assert.deepEqual(own.errors, []);
    assert.equal(own.rules[0]?.warm, undefined);
  });
});
