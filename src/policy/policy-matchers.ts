// Compiled matchers of a policy: exact text, globs (picomatch), RE2 patterns (re2js: linear time,
// so a policy can not be made to hang on an agent's input) and prefixes. A word computed at run
// time matches "maybe": the engine then falls back to the rule for commands it can not resolve.
import picomatch from 'picomatch';
import { RE2JS } from 're2js';
import { programBasename, type Word } from '../shell/shell-types.js';
import type { Matcher, Matchers } from './policy-schema.js';

/** 0: does not match; 1: may match (part of the word is computed); 2: matches. */
export type Tri = 0 | 1 | 2;

export const NO: Tri = 0;
export const MAYBE: Tri = 1;
export const YES: Tri = 2;

export function triAny(values: Iterable<Tri>): Tri {
  let best: Tri = NO;
  for (const v of values) {
    if (v === YES) return YES;
    if (v > best) best = v;
  }
  return best;
}

export interface CompiledMatcher {
  /** Whether a known value matches. */
  test(value: string): boolean;
  /** Whether a value known only by its start and end may match. */
  testPartial(prefix: string, suffix: string): Tri;
  /** Whether a program name matches (basename unless the pattern names a path). */
  testProgram(program: string): boolean;
  readonly source: string;
}

function compatible(head: string, prefix: string): boolean {
  return head.startsWith(prefix) || prefix.startsWith(head);
}

function compatibleEnd(tail: string, suffix: string): boolean {
  return tail.endsWith(suffix) || suffix.endsWith(tail);
}

function compileOne(m: Matcher): CompiledMatcher {
  if (typeof m === 'string') {
    const byPath = m.includes('/');
    return {
      source: JSON.stringify(m),
      test: (v) => v === m,
      testPartial: (p, x) => (m.startsWith(p) && m.endsWith(x) ? MAYBE : NO),
      testProgram: (v) => v === m || (!byPath && programBasename(v) === m),
    };
  }
  if ('glob' in m) {
    const test = picomatch(m.glob, { dot: true });
    const head = m.glob.split(/[*?[{]/)[0] ?? '';
    const tail = m.glob.split(/[*?\]}]/).at(-1) ?? '';
    const byPath = m.glob.includes('/');
    return {
      source: `glob ${m.glob}`,
      test: (v) => test(v),
      // a pattern open at both ends (`**/x/**`) could match any computed path: it judges known paths only
      testPartial: (p, x) => (head === '' && tail === '' ? NO : compatible(head, p) && compatibleEnd(tail, x) ? MAYBE : NO),
      testProgram: (v) => test(v) || (!byPath && test(programBasename(v))),
    };
  }
  if ('re' in m) {
    const re = RE2JS.compile(m.re);
    const test = (v: string): boolean => re.matcher(v).find();
    return { source: `re /${m.re}/`, test, testPartial: () => MAYBE, testProgram: (v) => test(v) || test(programBasename(v)) };
  }
  const prefix = m.prefix;
  return {
    source: `prefix ${m.prefix}`,
    test: (v) => v.startsWith(prefix),
    testPartial: (p) => (p.startsWith(prefix) ? YES : compatible(prefix, p) ? MAYBE : NO),
    testProgram: (v) => v.startsWith(prefix),
  };
}

/** A list of matchers any of which may match. */
export class MatcherSet {
  private constructor(readonly matchers: readonly CompiledMatcher[]) {}

  /** Compiles; an invalid pattern comes back as an error message, never a throw. */
  static compile(m: Matchers): { set: MatcherSet } | { error: string } {
    const list = Array.isArray(m) ? m : [m];
    try {
      return { set: new MatcherSet(list.map(compileOne)) };
    } catch (err) {
      return { error: `invalid pattern: ${err instanceof Error ? err.message : String(err)}` };
    }
  }

  test(value: string): boolean {
    return this.matchers.some((m) => m.test(value));
  }

  testProgram(program: string): boolean {
    return this.matchers.some((m) => m.testProgram(program));
  }

  /** A word: a computed one may match, or (`definiteOnly`) counts only when its known start decides. */
  word(word: Word, definiteOnly = false): Tri {
    if (word.value !== null) return this.test(word.value) ? YES : NO;
    const t = triAny(this.matchers.map((m) => m.testPartial(word.prefix, word.suffix)));
    return definiteOnly && t === MAYBE ? NO : t;
  }
}
