// Tests for the rule schema: what it accepts, and that its errors name the exact place (path: message),
// also deep inside all/any/not trees where zod alone would only say "invalid input".
import * as assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { RuleFileSchema, RuleSchema } from './rule-schema.js';
import { formatIssues, formatPath } from '../core/schema-issues.js';

const valid = {
  id: 'miner-binary',
  title: 'Known miner',
  technique: 'T1496',
  tactic: 'impact',
  severity: 'critical',
  description: 'A miner runs.',
  match: { event: 'process-start', where: { field: ['exeName', 'argv0Name'], op: 'in', value: ['xmrig'] } },
};

function errorsOf(rule: unknown): string[] {
  const r = RuleSchema.safeParse(rule);
  return r.success ? [] : formatIssues(r.error.issues, ['rules', 3]);
}

function withWhere(where: unknown): unknown {
  return { ...valid, match: { event: 'process-start', where } };
}

describe('RuleSchema', () => {
  it('accepts a simple rule, a window rule, a sustained rule and dedupe settings', () => {
    assert.deepEqual(errorsOf(valid), []);
    assert.deepEqual(
      errorsOf({ ...valid, match: { event: 'network-denied' }, window: { seconds: 5, threshold: { distinct: { field: 'dstPort', atLeast: 10 } } } }),
      [],
    );
    assert.deepEqual(errorsOf({ ...valid, match: { event: ['resource-sample'] }, sustained: { seconds: 10, groupBy: ['sandboxId', 'step'] } }), []);
    assert.deepEqual(errorsOf({ ...valid, dedupe: { seconds: 0, groupBy: ['sandboxId'] } }), []);
  });

  it('fills defaults: window groupBy per sandbox, exists true, dedupe 60 s', () => {
    const r = RuleSchema.parse({
      ...withWhere({ field: 'cwd', op: 'exists' }) as object,
      window: { seconds: 5, threshold: { count: 3 } },
      dedupe: {},
    });
    assert.deepEqual(r.window?.groupBy, ['sandboxId']);
    assert.deepEqual(r.match.where, { field: 'cwd', op: 'exists', value: true });
    assert.equal(r.dedupe?.seconds, 60);
  });

  it('reports top-level mistakes with their field', () => {
    assert.deepEqual(errorsOf({ ...valid, id: 'Miner_Binary', technique: 'T14', severity: 'huge' }), [
      'rules[3].id: ids are kebab-case',
      'rules[3].technique: a MITRE ATT&CK technique such as T1496 or T1053.003',
      'rules[3].severity: Invalid option: expected one of "low"|"medium"|"high"|"critical"',
    ]);
    assert.deepEqual(errorsOf({ ...valid, titel: 'x' }), ['rules[3]: Unrecognized key: "titel"']);
    assert.deepEqual(errorsOf({ ...valid, match: { event: ['process-start', 'proc-start'] } }), [
      'rules[3].match.event[1]: Invalid option: expected one of "step-start"|"step-end"|"process-start"|"process-exit"|"resource-sample"|"gpu-sample"|"network-denied"|"network-dropped"|"proxy-connection"|"file-write"|"monitor-down"|"policy-verdict"|"process-sockets"|"step-usage"|"file-open"',
    ]);
  });

  it('reports errors inside condition trees at their exact path', () => {
    const where = {
      all: [
        { field: 'exeName', op: 'equals', value: 'x' },
        { any: [{ field: 'argv', op: 'contains', value: 'a' }, { field: 'argv', op: 'regex', value: 5 }] },
        { not: { field: 'dstPort', op: 'gt', value: 'many' } },
      ],
    };
    assert.deepEqual(errorsOf(withWhere(where)), [
      'rules[3].match.where.all[1].any[1].value: Invalid input: expected string, received number',
      'rules[3].match.where.all[2].not.value: Invalid input: expected number, received string',
    ]);
  });

  it('names unknown ops, unknown keys and shapeless conditions', () => {
    assert.deepEqual(errorsOf(withWhere({ any: [{ field: 'exe', op: 'matches', value: 'x' }] })), [
      'rules[3].match.where.any[0]: op must be one of: equals, in, contains, startsWith, endsWith, inDomain, regex, gt, gte, lt, lte, exists',
    ]);
    assert.deepEqual(errorsOf(withWhere({ field: 'exe', op: 'equals', value: 'x', valeu: 'y' })), ['rules[3].match.where: Unrecognized key: "valeu"']);
    assert.deepEqual(errorsOf(withWhere({ all: [{}] })), [
      'rules[3].match.where.all[0]: a condition is one of {all: [...]}, {any: [...]}, {not: {...}} or {field, op, value}',
    ]);
    assert.deepEqual(errorsOf(withWhere({ field: 'Bad Field', op: 'exists' })), [
      'rules[3].match.where.field: a field is a dotted path such as dstPort, argv.0 or argvText',
    ]);
  });

  it('requires exactly one of value or list, and refuses stateful regex flags', () => {
    assert.deepEqual(errorsOf(withWhere({ field: 'exe', op: 'in' })), ['rules[3].match.where.value: give exactly one of value or list']);
    assert.deepEqual(errorsOf(withWhere({ field: 'exe', op: 'endsWith', value: 'x', list: 'names' })), [
      'rules[3].match.where.value: give exactly one of value or list',
    ]);
    assert.deepEqual(errorsOf(withWhere({ field: 'exe', op: 'regex', value: 'x', flags: 'gi' })), [
      'rules[3].match.where.flags: flags may only be i, m, s, u (g and y make matching stateful)',
    ]);
  });

  it('checks windows, sustained and their exclusivity', () => {
    assert.deepEqual(errorsOf({ ...valid, window: { seconds: 5, threshold: {} } }), ['rules[3].window.threshold: give count, distinct or both']);
    assert.deepEqual(errorsOf({ ...valid, window: { seconds: -1, threshold: { count: 0 } } }), [
      'rules[3].window.seconds: Too small: expected number to be >0',
      'rules[3].window.threshold.count: Too small: expected number to be >=1',
    ]);
    assert.deepEqual(errorsOf({ ...valid, window: { seconds: 5, threshold: { count: 2 } }, sustained: { seconds: 5 } }), [
      'rules[3].sustained: a rule has a window or is sustained, not both',
    ]);
  });
});

describe('RuleFileSchema', () => {
  it('takes named lists of scalars and refuses other shapes', () => {
    assert.equal(RuleFileSchema.safeParse({ lists: { 'pool-ports': [3333, 4444], names: ['a'] }, rules: [] }).success, true);
    const r = RuleFileSchema.safeParse({ lists: { Bad_Name: ['a'], empty: [] }, rules: [] });
    assert.equal(r.success, false);
    if (!r.success) {
      assert.deepEqual(formatIssues(r.error.issues), ['lists.Bad_Name: list names are kebab-case', 'lists.empty: Too small: expected array to have >=1 items']);
    }
  });
});

describe('formatPath', () => {
  it('writes indexes in brackets and keys with dots', () => {
    assert.equal(formatPath(['rules', 3, 'match', 'where', 'any', 1, 'value']), 'rules[3].match.where.any[1].value');
    assert.equal(formatPath([]), '');
  });
});
