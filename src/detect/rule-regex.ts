// Rule regexes run on RE2 (re2js, pure JS): matching takes time linear in the text whatever the
// pattern, so neither a rule file nor an agent's argv can make the guard backtrack for minutes
// (`(a+)+$` on a long line of a's). RE2 has no lookaround or backreference: a pattern that needs
// them is refused at load, and `unless` does what a negative lookahead did in the built-in rules.
import { RE2JS } from 're2js';

export interface RuleRegex {
  /** Whether some match of the pattern counts (every match does, unless an `unless` pattern matches its text). */
  test(text: string): boolean;
}

const FLAG_BITS: Readonly<Record<string, number>> = {
  i: RE2JS.CASE_INSENSITIVE,
  m: RE2JS.MULTILINE,
  s: RE2JS.DOTALL,
  u: 0, // RE2 reads the text as Unicode code points already
};

function compileOne(pattern: string, flags: string): RE2JS {
  let bits = 0;
  for (const f of flags) bits |= FLAG_BITS[f] ?? 0;
  return RE2JS.compile(pattern, bits);
}

function why(err: unknown): string {
  const message = err instanceof Error ? err.message : String(err);
  return /unsupported Perl syntax|invalid escape|backreference/.test(message)
    ? `${message} (rule regexes are RE2: no lookahead, lookbehind or backreference, so they run in linear time; use unless: for what a negative lookahead did)`
    : message;
}

/** Compiles a rule's regex (and its `unless`), or says why it can not. */
export function compileRuleRegex(pattern: string, flags = '', unless?: string): { regex: RuleRegex } | { error: string; where: 'value' | 'unless' } {
  let re: RE2JS;
  try {
    re = compileOne(pattern, flags);
  } catch (err) {
    return { error: `invalid regex: ${why(err)}`, where: 'value' };
  }
  if (unless === undefined) return { regex: { test: (text) => re.test(text) } };
  let not: RE2JS;
  try {
    not = compileOne(unless, flags);
  } catch (err) {
    return { error: `invalid regex: ${why(err)}`, where: 'unless' };
  }
  return {
    regex: {
      test(text) {
        // Matches do not overlap: each find goes on from the end of the last, so the scan is linear.
        const m = re.matcher(text);
        while (m.find()) if (!not.test(m.group() ?? '')) return true;
        return false;
      },
    },
  };
}

/**
 * Whether `text` can hold a match of a regex whose matches each contain one of `required` (absent:
 * no such set); `fold` for a case-insensitive regex, whose literals are lower case (regex-prefilter.ts).
 */
export function mayMatch(required: readonly string[] | null | undefined, text: string, fold = false): boolean {
  if (required === null || required === undefined) return true;
  const t = fold ? text.toLowerCase() : text;
  return required.some((s) => t.includes(s));
}

/**
 * A regex known to compile (the build compiled it), compiled on its first test: most of the
 * built-in rules' regexes never see a matching event in a one-shot run, and compiling all of them
 * took 170-260 ms of its start. Should it not compile after all, every test holds (fail closed:
 * the rule alerts rather than going blind). `required`: literals every match contains one of
 * (regex-prefilter.ts, computed by the build); a text with none of them is not a match.
 */
export function lazyRuleRegex(pattern: string, flags = '', unless?: string, required?: readonly string[] | null): LazyRuleRegex {
  let compiled: RuleRegex | undefined;
  const fold = flags.includes('i');
  const compile = (): RuleRegex => {
    if (compiled === undefined) {
      const r = compileRuleRegex(pattern, flags, unless);
      compiled = 'regex' in r ? r.regex : { test: () => true };
    }
    return compiled;
  };
  return {
    // a text without any literal that every match holds can not match: no compile, no run
    test: (text) => mayMatch(required, text, fold) && compile().test(text),
    compile: () => void compile(),
  };
}

export interface LazyRuleRegex extends RuleRegex {
  /** Compiles it now if it is not yet (a warm-up ahead of its first test). */
  compile(): void;
}
