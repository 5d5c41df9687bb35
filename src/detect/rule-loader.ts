// Loads rule files: YAML, validated rule by rule with zod, compiled. Never throws: a broken rule is
// reported as `source: path: message` and left out, and the others still load.
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { compileRule, type CompileOptions, type ListValue } from './rule-compiler.js';
import { RuleFileSchema, RuleSchema, type CompiledRule, type Rule } from './rule-schema.js';
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

/** A rule file as the schemas returned it: its lists, and each rule valid on its own. */
export interface CheckedDocument {
  readonly lists: Record<string, readonly ListValue[]>;
  readonly rules: readonly Rule[];
}

/**
 * Validates and compiles the rules of a document already parsed from YAML. With `checked` (the
 * build ran exactly this on the file and it loaded without an error: scripts/build-rule-cache.mjs)
 * the schemas' output is taken as it is and the rules' regexes compile on their first use.
 */
function loadRuleDocument(document: unknown, source: string, checked?: CheckedDocument, requiredLiterals?: CompileOptions['requiredLiterals']): LoadResult {
  let lists: Map<string, readonly ListValue[]>;
  let raws: readonly unknown[];
  if (checked !== undefined) {
    lists = new Map(Object.entries(checked.lists));
    raws = checked.rules;
  } else {
    const frame = FrameSchema.safeParse(document);
    if (!frame.success) return { rules: [], errors: formatIssues(frame.error.issues).map((m) => `${source}: ${m}`) };
    lists = new Map<string, readonly ListValue[]>(Object.entries(frame.data.lists ?? {}));
    raws = frame.data.rules;
  }
  const rules: CompiledRule[] = [];
  const errors: string[] = [];
  const firstIndex = new Map<string, number>();
  raws.forEach((raw, i) => {
    const parsed = checked !== undefined ? { success: true as const, data: raw as Rule } : RuleSchema.safeParse(raw);
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
    const compiled = compileRule(parsed.data, i, source, lists, { lazyRegex: checked !== undefined, ...(requiredLiterals ? { requiredLiterals } : {}) });
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

/**
 * What the build stores for a rule file that loads without an error: the schemas' output, when
 * JSON carries it exactly; null otherwise (the loader then validates the file at every load).
 */
export function checkedDocument(document: unknown, source: string): CheckedDocument | null {
  if (loadRuleDocument(document, source).errors.length > 0) return null;
  const frame = FrameSchema.safeParse(document);
  if (!frame.success) return null;
  const rules: Rule[] = [];
  for (const raw of frame.data.rules) {
    const parsed = RuleSchema.safeParse(raw);
    if (!parsed.success) return null;
    rules.push(parsed.data);
  }
  const out: CheckedDocument = { lists: frame.data.lists ?? {}, rules };
  return isDeepStrictEqual(JSON.parse(JSON.stringify(out)), out) ? out : null;
}

/** sha256 of a rule file's text, as the build keys builtin-rules.json (scripts/build-rule-cache.mjs). */
export function ruleTextHash(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

interface BuildCache {
  /** Each file parsed from its YAML, by the sha256 of its text. */
  readonly parsed: ReadonlyMap<string, unknown>;
  /** The files the build also loaded without an error, as checkedDocument() returned them. */
  readonly checked: ReadonlyMap<string, CheckedDocument>;
  /** Literals every match of a checked file's regex contains one of, by prefilterKey(pattern, flags). */
  readonly prefilters: ReadonlyMap<string, readonly string[]>;
}

/** How builtin-rules.json keys a regex's required literals (scripts/build-rule-cache.mjs). */
export function prefilterKey(pattern: string, flags: string): string {
  return `${flags}/${pattern}`;
}

/**
 * The built-in rule files as the build parsed (and checked) them, by the sha256 of their text: a
 * file edited since the build misses and is parsed, validated and compiled from its YAML, so the
 * cache can never serve stale rules. A checked file skips the schemas (the build ran them on the
 * same text) and compiles its regexes on first use (the build compiled each once); the fields,
 * lists, groups and sequences are still compiled and checked at every load.
 */
function builtinDocuments(): BuildCache {
  try {
    const cache = JSON.parse(readFileSync(new URL('./builtin-rules.json', import.meta.url), 'utf8')) as {
      documents?: Record<string, unknown>;
      checked?: Record<string, CheckedDocument>;
      prefilters?: Record<string, string[]>;
    };
    return {
      parsed: new Map(Object.entries(cache.documents ?? {})),
      checked: new Map(Object.entries(cache.checked ?? {})),
      prefilters: new Map(Object.entries(cache.prefilters ?? {})),
    };
  } catch {
    return { parsed: new Map(), checked: new Map(), prefilters: new Map() }; // no build cache (running from source, say): every file is parsed
  }
}

function loadSources(files: readonly { path: string; source: string }[], cache: BuildCache = { parsed: new Map(), checked: new Map(), prefilters: new Map() }): LoadResult {
  const requiredLiterals = (pattern: string, flags: string): readonly string[] | undefined => cache.prefilters.get(prefilterKey(pattern, flags));
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
    const hash = cache.parsed.size > 0 ? ruleTextHash(text) : '';
    const checked = cache.checked.get(hash);
    const loaded = cache.parsed.has(hash) ? loadRuleDocument(cache.parsed.get(hash), source, checked, checked !== undefined ? requiredLiterals : undefined) : loadRules(text, source);
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
