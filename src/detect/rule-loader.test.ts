// Tests for loading rule files: YAML errors, per-rule validation that keeps the good rules, load-time
// checks (fields, lists, regexes) reported with path and rule id, and duplicate ids within and across files.
import * as assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { after, describe, it } from 'node:test';
import { builtinRulesDir, checkedDocument, loadBuiltinRules, loadRuleFiles, loadRules, ruleTextHash } from './rule-loader.js';

function rule(id: string, where: string, extra = ''): string {
  return [
    `  - id: ${id}`,
    '    title: test rule',
    '    technique: T1496',
    '    severity: high',
    '    description: test',
    '    match:',
    '      event: process-start',
    `      where: ${where}`,
    extra,
  ].join('\n');
}

describe('loadRules', () => {
  it('compiles a valid file with lists', () => {
    const text = ['lists:', '  names: [xmrig, minerd]', 'rules:', rule('miner', '{ field: exeName, op: in, list: names }')].join('\n');
    const r = loadRules(text, 'mine.yaml');
    assert.deepEqual(r.errors, []);
    assert.deepEqual(
      r.rules.map((x) => [x.id, x.source, x.index, x.events]),
      [['miner', 'mine.yaml', 0, ['process-start']]],
    );
  });

  it('reports YAML syntax errors with line and column, and loads nothing', () => {
    const r = loadRules('rules:\n  - id: a\n   title: b: c\n', 'broken.yaml');
    assert.equal(r.rules.length, 0);
    assert.ok(r.errors.length > 0);
    assert.match(r.errors[0] ?? '', /^broken\.yaml: .* at line \d+, column \d+/);
  });

  it('reports a file that is not a rule file', () => {
    assert.deepEqual(loadRules('rule: []', 'x.yaml').errors, ['x.yaml: rules: Invalid input: expected array, received undefined', 'x.yaml: Unrecognized key: "rule"']);
    assert.deepEqual(loadRules('', 'empty.yaml').errors, ['empty.yaml: Invalid input: expected object, received null']);
  });

  it('keeps the valid rules when others are broken, naming each broken one', () => {
    const text = [
      'rules:',
      rule('good', '{ field: exeName, op: equals, value: xmrig }'),
      rule('bad-shape', '{ field: exeName, op: equals }'),
      rule('bad-regex', '{ any: [ { field: argvText, op: contains, value: a }, { field: argvText, op: regex, value: "(unclosed" } ] }'),
    ].join('\n');
    const r = loadRules(text, 'mixed.yaml');
    assert.deepEqual(r.rules.map((x) => x.id), ['good']);
    assert.equal(r.errors.length, 2);
    assert.match(r.errors[0] ?? '', /^mixed\.yaml: rules\[1\]\.match\.where\.value: .* \(rule "bad-shape"\)$/);
    assert.match(r.errors[1] ?? '', /^mixed\.yaml: rules\[2\]\.match\.where\.any\[1\]\.value: invalid regex: .*\(rule "bad-regex"\)$/);
  });

  it('rejects unknown fields, unknown lists and non-text lists for text ops', () => {
    const text = [
      'lists:',
      '  ports: [3333]',
      'rules:',
      rule('a', '{ field: dstPort, op: gt, value: 3 }'),
      rule('b', '{ not: { field: exeName, op: in, list: nope } }'),
      rule('c', '{ field: argv, op: contains, list: ports }'),
      rule('d', '{ field: argv.first, op: exists }'),
    ].join('\n');
    const r = loadRules(text, 'f.yaml');
    assert.equal(r.rules.length, 0);
    assert.deepEqual(r.errors, [
      'f.yaml: rules[0].match.where.field: unknown field "dstPort" for process-start (known: argv, argv0Name, argvText, cmdIntents, cmdLines, cmdPaths, cmdPrograms, cwd, exe, exeName, kind, pid, ppid, sandboxId, stdio, step, time, tools, uid) (rule "a")',
      'f.yaml: rules[1].match.where.not.list: unknown list "nope" (this file defines: ports) (rule "b")',
      'f.yaml: rules[2].match.where.list: list "ports" holds non-string entries; contains needs strings (rule "c")',
      'f.yaml: rules[3].match.where.field: "argv.first": after the field name only an index (argv.0) or "length" may follow (rule "d")',
    ]);
  });

  it('checks window and group fields against the rule\'s event kinds', () => {
    const text = [
      'rules:',
      rule('scan', '{ field: cwd, op: exists }', '    window: { seconds: 5, groupBy: [sandboxId, dstPort], threshold: { distinct: { field: dstAddr, atLeast: 3 } } }'),
    ].join('\n');
    const r = loadRules(text, 'w.yaml');
    assert.equal(r.rules.length, 0);
    assert.match(r.errors[0] ?? '', /^w\.yaml: rules\[0\]\.window\.threshold\.distinct\.field: unknown field "dstAddr"/);
    assert.match(r.errors[1] ?? '', /^w\.yaml: rules\[0\]\.window\.groupBy\[1\]: unknown field "dstPort"/);
  });

  it('rejects inDomain values that are not domain names', () => {
    const text = ['rules:', rule('d', '{ field: argvText, op: inDomain, value: ["pool.*"] }')].join('\n');
    assert.match(loadRules(text, 'd.yaml').errors[0] ?? '', /rules\[0\]\.match\.where\.value: "pool\.\*" is not a domain name/);
  });

  it('reports duplicate ids in one file and keeps the first', () => {
    const text = ['rules:', rule('same', '{ field: exeName, op: equals, value: a }'), rule('same', '{ field: exeName, op: equals, value: b }')].join('\n');
    const r = loadRules(text, 'dup.yaml');
    assert.equal(r.rules.length, 1);
    assert.deepEqual(r.errors, ['dup.yaml: rules[1].id: duplicate id "same" (first at rules[0])']);
  });
});

describe('loadRuleFiles', () => {
  const dir = mkdtempSync(join(tmpdir(), 'praetor-rules-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('loads several files and reports ids defined twice across them', () => {
    const a = join(dir, 'a.yaml');
    const b = join(dir, 'b.yaml');
    writeFileSync(a, ['rules:', rule('one', '{ field: exeName, op: equals, value: a }')].join('\n'));
    writeFileSync(b, ['rules:', rule('two', '{ field: exeName, op: equals, value: b }'), rule('one', '{ field: exeName, op: equals, value: c }')].join('\n'));
    const r = loadRuleFiles([a, b]);
    assert.deepEqual(r.rules.map((x) => `${x.id}@${x.source}`), [`one@${a}`, `two@${b}`]);
    assert.deepEqual(r.errors, [`${b}: rules[1].id: duplicate id "one" (also defined in ${a})`]);
  });

  it('reports an unreadable file instead of throwing', () => {
    const missing = join(dir, 'missing.yaml');
    const r = loadRuleFiles([missing]);
    assert.equal(r.rules.length, 0);
    assert.match(r.errors[0] ?? '', /missing\.yaml: cannot read: ENOENT/);
  });
});

describe('loadBuiltinRules and the build cache (dist/detect/builtin-rules.json)', () => {
  const names = readdirSync(builtinRulesDir()).filter((n) => n.endsWith('.yaml')).sort();
  const fromYaml = loadRuleFiles(names.map((n) => join(builtinRulesDir(), n)));

  it('holds every built-in file, keyed by the sha256 of its text, parsed and checked', () => {
    const cache = JSON.parse(readFileSync(new URL('./builtin-rules.json', import.meta.url), 'utf8')) as { documents: Record<string, unknown>; checked: Record<string, unknown> };
    for (const n of names) {
      const hash = ruleTextHash(readFileSync(join(builtinRulesDir(), n), 'utf8'));
      assert.ok(hash in cache.documents, n);
      // checked: the loader skips the schemas and compiles the regexes lazily for this file
      assert.ok(hash in cache.checked, n);
    }
  });

  it('checks a document only when it loads without an error', () => {
    const good = { rules: [{ id: 'x', title: 't', technique: 'T1496', severity: 'high', description: 'd', match: { event: 'process-start', where: { field: 'exe', op: 'regex', value: 'a+' } } }] };
    const checked = checkedDocument(good, 'good.yaml');
    assert.ok(checked !== null);
    assert.equal(checked.rules[0]?.id, 'x');
    // a regex RE2 refuses, an unknown field, a schema error: not checked, so validated at every load
    const badRegex = structuredClone(good);
    badRegex.rules[0]!.match.where.value = 'a(?!b)';
    assert.equal(checkedDocument(badRegex, 'bad.yaml'), null);
    const badField = structuredClone(good);
    badField.rules[0]!.match.where.field = 'nosuchfield';
    assert.equal(checkedDocument(badField, 'bad.yaml'), null);
    assert.equal(checkedDocument({ rules: [{ id: 'x' }] }, 'bad.yaml'), null);
  });

  it('loads the same rules as parsing every file from its YAML', () => {
    const cached = loadBuiltinRules();
    assert.deepEqual(cached.errors, []);
    assert.deepEqual(fromYaml.errors, []);
    // Compiled rules hold functions: compare what they were compiled from, and the ids in order.
    assert.deepEqual(
      cached.rules.map((r) => JSON.stringify({ ...r, source: basename(r.source) })),
      fromYaml.rules.map((r) => JSON.stringify({ ...r, source: basename(r.source) })),
    );
    assert.ok(cached.rules.length > 20);
  });
});
