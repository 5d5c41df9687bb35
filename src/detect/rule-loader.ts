// Loads rule files: YAML, validated rule by rule with zod, compiled. Never throws: a broken rule is
// reported as `source: path: message` and left out, and the others still load.
import { createHash } from 'node:crypto';
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
  return loadRuleDocument(plain.value, source);
}

/** Validates and compiles the rules of a document already parsed from YAML. */
function loadRuleDocument(document: unknown, source: string): LoadResult {
  const frame = FrameSchema.safeParse(document);
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
  return loadSources(
    names.map((n) => ({ path: join(dir, n), source: `rules/builtin/${n}` })),
    builtinDocuments(),
  );
}

/** sha256 of a rule file's text, as the build keys builtin-rules.json (scripts/build-rule-cache.mjs). */
export function ruleTextHash(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

/**
 * The built-in rule files as the build parsed them, by the sha256 of their text: a file edited
 * since the build misses and is parsed from its YAML, so the cache can never serve stale rules.
 * Validation and compilation still run on every load.
 */
function builtinDocuments(): ReadonlyMap<string, unknown> {
  try {
    const cache = JSON.parse(readFileSync(new URL('./builtin-rules.json', import.meta.url), 'utf8')) as { documents?: Record<string, unknown> };
    return new Map(Object.entries(cache.documents ?? {}));
  } catch {
    return new Map(); // no build cache (running from source, say): every file is parsed
  }
}

function loadSources(files: readonly { path: string; source: string }[], parsed: ReadonlyMap<string, unknown> = new Map()): LoadResult {
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
    const hash = parsed.size > 0 ? ruleTextHash(text) : '';
    const loaded = parsed.has(hash) ? loadRuleDocument(parsed.get(hash), source) : loadRules(text, source);
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
  return checkSequences(rules, errors);
}

/** A sequence that names a rule nobody defines would never fire: an error, and the rule is left out. */
export function checkSequences(rules: readonly CompiledRule[], errors: readonly string[] = []): LoadResult {
  const ids = new Set(rules.map((r) => r.id));
  const kept: CompiledRule[] = [];
  const out = [...errors];
  for (const rule of rules) {
    const missing = rule.after?.rules.filter((id) => !ids.has(id)) ?? [];
    if (missing.length === 0) kept.push(rule);
    else out.push(`${rule.source}: rules[${rule.index}].after.rules: unknown rule ${missing.map((m) => `"${m}"`).join(', ')} (rule "${rule.id}")`);
  }
  return { rules: kept, errors: out };
}
