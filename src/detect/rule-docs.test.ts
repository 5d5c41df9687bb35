// docs/rules.md carries the generated table of built-in rules verbatim, so the docs can not drift
// from rules/builtin/*.yaml; regenerate with replaceRuleTable(text, builtinRuleTable()).
import * as assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { loadBuiltinRules } from './rule-loader.js';
import { TABLE_END, TABLE_START, builtinRuleTable, replaceRuleTable, ruleTable } from '../testing/rule-docs.js';

const DOC = new URL('../../docs/rules.md', import.meta.url);

describe('rule docs', () => {
  it('docs/rules.md contains the generated built-in rule table', () => {
    const doc = readFileSync(DOC, 'utf8');
    const table = builtinRuleTable();
    assert.ok(doc.includes(`${TABLE_START}\n${table}\n${TABLE_END}`), 'docs/rules.md is stale: regenerate its table with builtinRuleTable()');
  });

  it('lists every built-in rule once', () => {
    const table = builtinRuleTable();
    for (const r of loadBuiltinRules().rules) assert.equal(table.split(`| \`${r.id}\` |`).length, 2, r.id);
  });

  it('escapes pipes and angle brackets in cells', () => {
    const [rule] = loadBuiltinRules().rules;
    assert.ok(rule);
    const row = ruleTable([{ ...rule, description: 'a | b <pid>' }]).split('\n')[2] ?? '';
    assert.ok(row.includes('a \\| b &lt;pid&gt;'), row);
  });

  it('replaces the table between the markers only', () => {
    const doc = `intro\n${TABLE_START}\nold\n${TABLE_END}\noutro\n`;
    assert.equal(replaceRuleTable(doc, 'new'), `intro\n${TABLE_START}\nnew\n${TABLE_END}\noutro\n`);
    assert.throws(() => replaceRuleTable('no markers', 'x'), /no builtin-rules markers/);
  });
});
