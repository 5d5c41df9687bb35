// Compiles a validated rule once, at load: conditions become closures, fields become readers, lists
// become sets, regexes are built (RE2, linear time: rule-regex.ts). What the schema can not see
// (fields, lists, regexes) is checked here.
import type { GuardEventKind } from '../monitor/events.js';
import { compileField, fieldKnown, type EventView } from './event-fields.js';
import {
  DEFAULT_DEDUPE_SECONDS,
  DEFAULT_GROUP_BY,
  type CompiledRule,
  type Condition,
  type FieldTest,
  type GroupKey,
  type Rule,
} from './rule-schema.js';
import { formatPath, type PathSegment } from '../core/schema-issues.js';
import { compileRuleRegex, lazyRuleRegex, type LazyRuleRegex } from './rule-regex.js';

export type ListValue = string | number | boolean | null;
export type RuleLists = ReadonlyMap<string, readonly ListValue[]>;
type Predicate = (view: EventView) => boolean;
type ValueTest = (value: unknown) => boolean;

export interface CompileOptions {
  /**
   * Regexes compile on their first test instead of now. Only for rules whose regexes are known to
   * compile (the build compiled them: rule-loader.ts), since a lazy one can not report an error.
   */
  readonly lazyRegex?: boolean;
  /** With lazyRegex: the literals every match of a regex contains one of, as the build found them (regex-prefilter.ts). */
  readonly requiredLiterals?: (pattern: string, flags: string) => readonly string[] | undefined;
}

interface Env {
  readonly lazyRegex: boolean;
  readonly requiredLiterals: CompileOptions['requiredLiterals'];
  /** The lazily compiled regexes of the rule, for its warm(). */
  readonly lazy: LazyRuleRegex[];
  readonly kinds: readonly GuardEventKind[];
  readonly lists: RuleLists;
  readonly errors: string[];
}

function fail(env: Env, path: readonly PathSegment[], message: string): void {
  env.errors.push(`${formatPath(path)}: ${message}`);
}

/** Compiles one rule; `index` is its position in the file's rules, used in error paths. */
export function compileRule(rule: Rule, index: number, source: string, lists: RuleLists, options: CompileOptions = {}): { rule: CompiledRule | null; errors: string[] } {
  const at: PathSegment[] = ['rules', index];
  const kinds = typeof rule.match.event === 'string' ? [rule.match.event] : [...new Set(rule.match.event)];
  const env: Env = { lazyRegex: options.lazyRegex === true, requiredLiterals: options.requiredLiterals, lazy: [], kinds, lists, errors: [] };
  const matches = rule.match.where === undefined ? () => true : compileCondition(rule.match.where, [...at, 'match', 'where'], env);
  const defaultGroup = DEFAULT_GROUP_BY.filter((f) => fieldKnown(f, kinds));

  let window: CompiledRule['window'] = null;
  if (rule.window !== undefined) {
    const w = rule.window;
    let distinct: NonNullable<CompiledRule['window']>['distinct'] = null;
    if (w.threshold.distinct !== undefined) {
      const { field, atLeast } = w.threshold.distinct;
      const r = compileField(field, kinds);
      if ('error' in r) fail(env, [...at, 'window', 'threshold', 'distinct', 'field'], r.error);
      else distinct = { field, read: r.read, atLeast };
    }
    const key = groupKey(w.groupBy, [...at, 'window', 'groupBy'], env);
    window = { ms: w.seconds * 1000, key, count: w.threshold.count ?? null, distinct };
  }
  const sustained =
    rule.sustained === undefined
      ? null
      : { ms: rule.sustained.seconds * 1000, key: groupKey(rule.sustained.groupBy ?? defaultGroup, [...at, 'sustained', 'groupBy'], env) };
  const dedupeBy = rule.dedupe?.groupBy ?? rule.window?.groupBy ?? rule.sustained?.groupBy ?? defaultGroup;
  const dedupe = { ms: (rule.dedupe?.seconds ?? DEFAULT_DEDUPE_SECONDS) * 1000, key: groupKey(dedupeBy, [...at, 'dedupe', 'groupBy'], env) };

  let techniqueFrom: CompiledRule['techniqueFrom'] = null;
  if (rule.techniqueFrom !== undefined) {
    const r = compileField(rule.techniqueFrom, kinds);
    if ('error' in r) fail(env, [...at, 'techniqueFrom'], r.error);
    else techniqueFrom = r.read;
  }
  if (env.errors.length > 0) return { rule: null, errors: env.errors };
  return {
    rule: {
      id: rule.id,
      title: rule.title,
      technique: rule.technique,
      tactic: rule.tactic ?? null,
      severity: rule.severity,
      description: rule.description.trim(),
      source,
      index,
      events: kinds,
      matches,
      window,
      sustained,
      dedupe,
      techniqueFrom,
      finding: rule.finding ?? false,
      after: rule.after === undefined ? null : { rules: rule.after.rules, ms: rule.after.seconds * 1000, same: rule.after.same },
      definition: rule,
      ...(env.lazy.length > 0 ? { warm: () => env.lazy.forEach((r) => r.compile()) } : {}),
    },
    errors: [],
  };
}

function groupKey(fields: readonly string[], path: readonly PathSegment[], env: Env): GroupKey {
  const readers = fields.map((f, i) => {
    const r = compileField(f, env.kinds);
    if ('error' in r) fail(env, [...path, i], r.error);
    return 'read' in r ? r.read : () => null;
  });
  // JSON keeps null and "null", or 1 and "1", apart.
  return (v) => JSON.stringify(readers.map((r) => r(v) ?? null));
}

function compileCondition(c: Condition, path: readonly PathSegment[], env: Env): Predicate {
  if ('all' in c) {
    const parts = c.all.map((x, i) => compileCondition(x, [...path, 'all', i], env));
    return (v) => parts.every((p) => p(v));
  }
  if ('any' in c) {
    const parts = c.any.map((x, i) => compileCondition(x, [...path, 'any', i], env));
    return (v) => parts.some((p) => p(v));
  }
  if ('not' in c) {
    const inner = compileCondition(c.not, [...path, 'not'], env);
    return (v) => !inner(v);
  }
  return compileTest(c, path, env);
}

function compileTest(t: FieldTest, path: readonly PathSegment[], env: Env): Predicate {
  const fields = typeof t.field === 'string' ? [t.field] : t.field;
  const readers = fields.flatMap((f, i) => {
    const r = compileField(f, env.kinds);
    if ('read' in r) return [r.read];
    fail(env, typeof t.field === 'string' ? [...path, 'field'] : [...path, 'field', i], r.error);
    return [];
  });
  if (t.op === 'exists') {
    const want = t.value;
    return (v) => readers.some((r) => r(v) !== undefined && r(v) !== null) === want;
  }
  const test = valueTest(t, path, env);
  // Arrays (argv) are tested element by element: the test holds if it holds on any element.
  const holds = (x: unknown): boolean => (Array.isArray(x) ? x.some(test) : test(x));
  const [only] = readers;
  if (readers.length === 1 && only !== undefined) return (v) => holds(only(v));
  return (v) => readers.some((r) => holds(r(v)));
}

function asText(x: unknown): string | undefined {
  return typeof x === 'string' ? x : typeof x === 'number' ? String(x) : undefined;
}

function valueTest(t: Exclude<FieldTest, { op: 'exists' }>, path: readonly PathSegment[], env: Env): ValueTest {
  switch (t.op) {
    case 'equals': {
      const want = t.value;
      if (t.ignoreCase === true && typeof want === 'string') {
        const lower = want.toLowerCase();
        return (x) => typeof x === 'string' && x.toLowerCase() === lower;
      }
      return (x) => x === want;
    }
    case 'in': {
      const fold = t.ignoreCase === true;
      const set = new Set(values(t, path, env).map((x) => (fold && typeof x === 'string' ? x.toLowerCase() : x)));
      return fold ? (x) => set.has(typeof x === 'string' ? x.toLowerCase() : (x as ListValue)) : (x) => set.has(x as ListValue);
    }
    case 'contains':
    case 'startsWith':
    case 'endsWith': {
      const fold = t.ignoreCase === true;
      const needles = texts(t, path, env).map((n) => (fold ? n.toLowerCase() : n));
      const op = t.op;
      return (x) => {
        const raw = asText(x);
        if (raw === undefined) return false;
        const s = fold ? raw.toLowerCase() : raw;
        return needles.some((n) => (op === 'contains' ? s.includes(n) : op === 'startsWith' ? s.startsWith(n) : s.endsWith(n)));
      };
    }
    case 'inDomain': {
      const domains = new Set<string>();
      for (const d of texts(t, path, env)) {
        const name = d.toLowerCase().replace(/^\*?\./, '').replace(/\.$/, '');
        if (!/^[a-z0-9_-]+(?:\.[a-z0-9_-]+)*$/.test(name)) fail(env, [...path, t.list === undefined ? 'value' : 'list'], `"${d}" is not a domain name (example.com covers it and its subdomains)`);
        domains.add(name);
      }
      return (x) => typeof x === 'string' && inDomain(x, domains);
    }
    case 'regex': {
      const lazy = env.lazyRegex ? lazyRuleRegex(t.value, t.flags ?? '', t.unless, env.requiredLiterals?.(t.value, t.flags ?? '')) : null;
      if (lazy !== null) env.lazy.push(lazy);
      const compiled = lazy !== null ? { regex: lazy } : compileRuleRegex(t.value, t.flags ?? '', t.unless);
      if ('error' in compiled) {
        fail(env, [...path, compiled.where], compiled.error);
        return () => false;
      }
      const re = compiled.regex;
      return (x) => {
        const s = asText(x);
        return s !== undefined && re.test(s);
      };
    }
    case 'gt': {
      const n = t.value;
      return (x) => typeof x === 'number' && x > n;
    }
    case 'gte': {
      const n = t.value;
      return (x) => typeof x === 'number' && x >= n;
    }
    case 'lt': {
      const n = t.value;
      return (x) => typeof x === 'number' && x < n;
    }
    case 'lte': {
      const n = t.value;
      return (x) => typeof x === 'number' && x <= n;
    }
  }
}

/** A host and each of its parent domains, looked up in the set: a.b.pool.example -> b.pool.example -> ... */
function inDomain(host: string, domains: ReadonlySet<string>): boolean {
  let h = host.toLowerCase();
  if (h.endsWith('.')) h = h.slice(0, -1);
  for (let i = 0; ; ) {
    if (domains.has(h.slice(i))) return true;
    const dot = h.indexOf('.', i);
    if (dot === -1) return false;
    i = dot + 1;
  }
}

function values(t: { value?: readonly ListValue[]; list?: string }, path: readonly PathSegment[], env: Env): readonly ListValue[] {
  if (t.list === undefined) return t.value ?? [];
  const list = env.lists.get(t.list);
  if (list === undefined) {
    const known = [...env.lists.keys()];
    fail(env, [...path, 'list'], `unknown list "${t.list}" (this file defines: ${known.length > 0 ? known.join(', ') : 'none'})`);
    return [];
  }
  return list;
}

function texts(t: { op: string; value?: string | readonly string[]; list?: string }, path: readonly PathSegment[], env: Env): string[] {
  if (t.list === undefined) return typeof t.value === 'string' ? [t.value] : [...(t.value ?? [])];
  const list = values({ list: t.list }, path, env);
  const strings = list.filter((x): x is string => typeof x === 'string');
  if (strings.length !== list.length) fail(env, [...path, 'list'], `list "${t.list}" holds non-string entries; ${t.op} needs strings`);
  return strings;
}
