// Loads rule files: YAML, validated rule by rule with zod, compiled. Never throws: a broken rule is
// reported as `source: path: message` and left out, and the others still load.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { compileRule, type ListValue } from './rule-compiler.js';
import { RuleFileSchema, RuleSchema, type CompiledRule } from './rule-schema.js';
import { formatIssues } from '../core/schema-issues.js';
import { parseYamlDocument, yamlValue } from './yaml-document.js';

export interface LoadResult {
  readonly rules: CompiledRule[];
  readonly errors: string[];
}

/** The file's frame (lists, a rules array) is checked first; then each rule on its own. */
const FrameSchema = RuleFileSchema.extend({ rules: z.array(z.unknown()) });

/** Parses, validates and compiles the rules of one YAML document. */
export function loadRules(text: string, source: string): LoadResult {
  const doc = parseYamlDocument(text);
  if (doc.errors.length > 0) {
    // yaml's messages carry the line and column on their first line, then a code frame.
    return { rules: [], errors: doc.errors.map((e) => `${source}: ${e.message.split('\n')[0] ?? e.message}`) };
  }
  const plain = yamlValue(doc);
  if (!plain.ok) return { rules: [], errors: [`${source}: ${plain.error}`] };
  const frame = FrameSchema.safeParse(plain.value);
  if (!frame.success) return { rules: [], errors: formatIssues(frame.error.issues).map((m) => `${source}: ${m}`) };

  const lists = new Map<string, readonly ListValue[]>(Object.entries(frame.data.lists ?? {}));
  const rules: CompiledRule[] = [];
  const errors: string[] = [];
  const firstIndex = new Map<string, number>();
  frame.data.rules.forEach((raw, i) => {
    const parsed = RuleSchema.safeParse(raw);
    if (!parsed.success) {
      errors.push(...formatIssues(parsed.error.issues, ['rules', i]).map((m) => `${source}: ${m}${ruleName(raw)}`));
      return;
    }
    const first = firstIndex.get(parsed.data.id);
    if (first !== undefined) {
      errors.push(`${source}: rules[${i}].id: duplicate id "${parsed.data.id}" (first at rules[${first}])`);
      return;
    }
    firstIndex.set(parsed.data.id, i);
    const compiled = compileRule(parsed.data, i, source, lists);
    errors.push(...compiled.errors.map((m) => `${source}: ${m}${ruleName(raw)}`));
    if (compiled.rule !== null) rules.push(compiled.rule);
  });
  return { rules, errors };
}

/** ` (rule "id")` when the raw rule has a usable id: paths give the place, the id makes it findable. */
function ruleName(raw: unknown): string {
  const id = typeof raw === 'object' && raw !== null ? (raw as { id?: unknown }).id : undefined;
  return typeof id === 'string' && id !== '' ? ` (rule "${id}")` : '';
}

/** Loads several files; an id defined in two files is an error, and the later definition is dropped. */
export function loadRuleFiles(paths: readonly string[]): LoadResult {
  return loadSources(paths.map((path) => ({ path, source: path })));
}

/** Folder of the built-in rules: rules/builtin at the package root (dist/detect -> ../../rules/builtin). */
export function builtinRulesDir(): string {
  return fileURLToPath(new URL('../../rules/builtin/', import.meta.url));
}

/** The built-in rule set, every rules/builtin/*.yaml in name order; sources read `rules/builtin/NAME`. */
export function loadBuiltinRules(): LoadResult {
  const dir = builtinRulesDir();
  let names: string[];
  try {
    names = readdirSync(dir).filter((n) => n.endsWith('.yaml')).sort();
  } catch (err) {
    return { rules: [], errors: [`rules/builtin: cannot read ${dir}: ${(err as Error).message}`] };
  }
  if (names.length === 0) return { rules: [], errors: [`rules/builtin: no .yaml files in ${dir}`] };
  return loadSources(names.map((n) => ({ path: join(dir, n), source: `rules/builtin/${n}` })));
}

function loadSources(files: readonly { path: string; source: string }[]): LoadResult {
  const rules: CompiledRule[] = [];
  const errors: string[] = [];
  const bySource = new Map<string, string>();
  for (const { path, source } of files) {
    let text: string;
    try {
      text = readFileSync(path, 'utf8');
    } catch (err) {
      errors.push(`${source}: cannot read: ${(err as Error).message}`);
      continue;
    }
    const loaded = loadRules(text, source);
    errors.push(...loaded.errors);
    for (const rule of loaded.rules) {
      const other = bySource.get(rule.id);
      if (other !== undefined) {
        errors.push(`${source}: rules[${rule.index}].id: duplicate id "${rule.id}" (also defined in ${other})`);
        continue;
      }
      bySource.set(rule.id, source);
      rules.push(rule);
    }
  }
  return { rules, errors };
}
