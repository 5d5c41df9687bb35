// Loads policy files (YAML) and the presets shipped in policies/: validated with zod rule by rule,
// compiled, and every rule's examples checked. Never throws: problems come back as
// `source: path: message`, and a policy with any problem does not load at all (fail closed: a
// policy that is not what its author wrote must not run half-applied).
import { existsSync, readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseDocument } from 'yaml';
import { formatIssues } from '../core/schema-issues.js';
import type { ShellParser } from '../shell/shell-parser.js';
import { PolicyEngine, type PolicyLayer } from './policy-engine.js';
import { NO, YES, triAny, type Tri } from './policy-matchers.js';
import { SANDBOX_CWD, SANDBOX_HOME, compileRule, type CompiledPolicyRule } from './policy-rule.js';
import { PolicyFileSchema, PolicyRuleSchema, type Tier } from './policy-schema.js';

/** The presets shipped with praetor, in policies/ at the package root. */
export const PRESETS = ['default', 'strict', 'permissive'] as const;
export const PRESETS_DIR = fileURLToPath(new URL('../../policies', import.meta.url));

export interface PolicyLoad {
  readonly layer: PolicyLayer | null;
  readonly errors: string[];
}

export function presetPath(name: string): string | null {
  return (PRESETS as readonly string[]).includes(name) ? resolve(PRESETS_DIR, `${name}.yaml`) : null;
}

function parseUrl(text: string): URL | null {
  try {
    return new URL(text);
  } catch {
    return null;
  }
}

/** How an example reads: a command line when it has a space, else a path or a network target. */
function exampleMatches(rule: CompiledPolicyRule, example: string, parser: ShellParser): Tri {
  if (/\s/.test(example) || rule.kind === 'command') {
    const analysis = parser.analyzeScript(example, { env: { HOME: SANDBOX_HOME } });
    return triAny(analysis.commands.map((c) => rule.command(c, SANDBOX_CWD)));
  }
  if (rule.kind === 'network') {
    const url = parseUrl(/^[a-z][a-z0-9+.-]*:\/\//i.test(example) ? example : `tcp://${example}`);
    if (url === null) return NO;
    return rule.network(url.hostname.replace(/^\[|\]$/g, ''), url.port === '' ? null : Number(url.port)) ? YES : NO;
  }
  const path = example.startsWith('~/') ? `${SANDBOX_HOME}${example.slice(1)}` : example;
  return rule.path(path) ? YES : NO;
}

/** Codex checks examples the same way: each rule on its own, when the policy loads. */
export function checkExamples(rules: readonly CompiledPolicyRule[], parser: ShellParser, source: string): string[] {
  const errors: string[] = [];
  for (const rule of rules) {
    for (const ex of rule.examples.match) {
      if (exampleMatches(rule, ex, parser) !== YES) errors.push(`${source}: rule "${rule.ref.id}": example does not match: ${ex}`);
    }
    for (const ex of rule.examples.notMatch) {
      if (exampleMatches(rule, ex, parser) !== NO) errors.push(`${source}: rule "${rule.ref.id}": example should not match but does: ${ex}`);
    }
  }
  return errors;
}

interface LoadOptions {
  readonly tier: Tier;
  /** Where relative `extends` files are found. */
  readonly baseDir?: string;
  /** Files already being loaded, to refuse a cycle of extends. */
  readonly seen?: ReadonlySet<string>;
}

/** Parses, validates and compiles one policy document and what it extends. */
export function loadPolicyText(text: string, source: string, parser: ShellParser, options: LoadOptions): PolicyLoad {
  const doc = parseDocument(text);
  if (doc.errors.length > 0) return { layer: null, errors: doc.errors.map((e) => `${source}: ${e.message.split('\n')[0] ?? e.message}`) };
  const frame = PolicyFileSchema.safeParse(doc.toJS());
  if (!frame.success) return { layer: null, errors: formatIssues(frame.error.issues).map((m) => `${source}: ${m}`) };
  const errors: string[] = [];
  const rules: CompiledPolicyRule[] = [];
  let mode = frame.data.mode;
  let unknown = frame.data.unknown;
  let fallback = frame.data.default;
  for (const parent of frame.data.extends) {
    const path = presetPath(parent) ?? resolve(options.baseDir ?? process.cwd(), parent);
    if (options.seen?.has(path)) {
      errors.push(`${source}: extends ${parent}: a cycle of extends`);
      continue;
    }
    const loaded = loadPolicyFile(path, parser, { ...options, seen: new Set([...(options.seen ?? []), path]) });
    errors.push(...loaded.errors);
    if (loaded.layer === null) continue;
    rules.push(...loaded.layer.rules);
    // what this file says wins over what it extends
    mode ??= loaded.layer.mode;
    unknown ??= loaded.layer.unknown;
    fallback ??= loaded.layer.default;
  }
  const ids = new Map(rules.map((r) => [r.ref.id, r.ref.policy]));
  const own: CompiledPolicyRule[] = [];
  frame.data.rules.forEach((raw, i) => {
    const named = typeof raw === 'object' && raw !== null && typeof (raw as { id?: unknown }).id === 'string' ? ` (rule "${(raw as { id: string }).id}")` : '';
    const parsed = PolicyRuleSchema.safeParse(raw);
    if (!parsed.success) {
      errors.push(...formatIssues(parsed.error.issues, ['rules', i]).map((m) => `${source}: ${m}${named}`));
      return;
    }
    const before = ids.get(parsed.data.id);
    if (before !== undefined) {
      errors.push(`${source}: rules[${i}].id: "${parsed.data.id}" is already defined (in ${before})`);
      return;
    }
    ids.set(parsed.data.id, frame.data.name);
    const compiled = compileRule(parsed.data, options.tier, frame.data.name, `rules[${i}]`);
    errors.push(...compiled.errors.map((m) => `${source}: ${m}${named}`));
    if (compiled.rule !== null) own.push(compiled.rule);
  });
  errors.push(...checkExamples(own, parser, source));
  rules.push(...own);
  if (errors.length > 0) return { layer: null, errors };
  return { layer: { tier: options.tier, name: frame.data.name, rules, mode, unknown, default: fallback }, errors };
}

export function loadPolicyFile(path: string, parser: ShellParser, options: LoadOptions): PolicyLoad {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    return { layer: null, errors: [`${path}: cannot read: ${err instanceof Error ? err.message : String(err)}`] };
  }
  return loadPolicyText(text, path, parser, { ...options, baseDir: dirname(path), seen: new Set([...(options.seen ?? []), path]) });
}

/** A preset name (default, strict, permissive) or a policy file. */
export function loadPolicySpec(spec: string, parser: ShellParser, tier: Tier = 'admin'): PolicyLoad {
  const preset = presetPath(spec);
  if (preset === null && !existsSync(spec)) {
    return { layer: null, errors: [`${spec}: no such policy file (the presets are ${PRESETS.join(', ')})`] };
  }
  return loadPolicyFile(preset ?? resolve(spec), parser, { tier });
}

export interface PolicySource {
  readonly spec: string;
  readonly tier: Tier;
}

/** An engine over the given policies, one layer each; errors when any does not load. */
export function buildEngine(sources: readonly PolicySource[], parser: ShellParser): { engine: PolicyEngine | null; errors: string[] } {
  const layers: PolicyLayer[] = [];
  const errors: string[] = [];
  for (const s of sources) {
    const loaded = loadPolicySpec(s.spec, parser, s.tier);
    errors.push(...loaded.errors);
    if (loaded.layer) layers.push(loaded.layer);
  }
  return errors.length > 0 ? { engine: null, errors } : { engine: new PolicyEngine(parser, layers), errors };
}
