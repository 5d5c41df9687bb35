// Literals a rule regex can not match without: a set S such that every match of the pattern
// contains some string of S. A text that contains none of them can not match, and the rule's
// regex is neither compiled nor run on it (rule-regex.ts). The built-in rules' regexes compile on
// their first test; in a one-shot `praetor run` the first exec's events compiled about forty of
// them (60-190 ms of its CPU) only to find that `true` matches none.
//
// Run by the build (scripts/build-rule-cache.mjs), which stores the sets beside the rules; never at
// run time (the parser, @eslint-community/regexpp, is a dev dependency). Written here because no
// library extracts required literals from a regex (RE2's own prefilter is internal to re2js).
//
// Soundness: the pattern is RE2 syntax, read with a JavaScript parser in strict Unicode mode. Where
// the two differ (\Q..\E, \A, \z, \C, (?i), (?P<n>), POSIX classes, a lone {, octal escapes) strict
// mode refuses the pattern, and a refused pattern gets no set: it is always run. Only characters
// count as literals; classes, `.`, anchors, look-arounds, back-references and anything repeated
// possibly zero times count as nothing. Case-insensitive patterns get no set (RE2's case folding
// differs from String.toLowerCase for k and s, and beyond ASCII: see requiredLiterals).
import { RegExpParser, type AST } from '@eslint-community/regexpp';

type Required = ReadonlySet<string> | null;

/** The literals every match of `pattern` contains one of; null when there is no such set worth testing. */
export function requiredLiterals(pattern: string, flags = ''): string[] | null {
  let ast: AST.Pattern;
  try {
    ast = new RegExpParser({ ecmaVersion: 2022, strict: true }).parsePattern(pattern, 0, pattern.length, { unicode: true });
  } catch {
    return null;
  }
  const found = ofAlternatives(ast.alternatives);
  if (found === null) return null;
  if (!flags.includes('i')) return [...found];
  // Case-insensitive: RE2 folds an ASCII letter only to its other case, except k (also U+212A)
  // and s (also U+017F). A literal is cut at those and at every non-ASCII character, and its
  // longest remaining piece, lower-cased, is what the lower-cased text must hold (mayMatch's fold).
  const folded = new Set<string>();
  for (const literal of found) {
    const piece = literal.split(/[^\x00-\x7f]|[kKsS]/).reduce((a, b) => (b.length > a.length ? b : a), '');
    if (piece === '') return null;
    folded.add(piece.toLowerCase());
  }
  return [...folded];
}

/** Alternation: each branch's set, all of them (a branch without one frees the whole). */
function ofAlternatives(alternatives: readonly AST.Alternative[]): Required {
  const out = new Set<string>();
  for (const a of alternatives) {
    const r = ofSequence(a.elements);
    if (r === null) return null;
    for (const s of r) out.add(s);
  }
  return out.size === 0 ? null : out;
}

/** A sequence: every element's match is in the whole one's, so any one element's set will do; the most selective is kept. */
function ofSequence(elements: readonly AST.Element[]): Required {
  const candidates: Set<string>[] = [];
  let run = '';
  const endRun = (): void => {
    if (run !== '') candidates.push(new Set([run]));
    run = '';
  };
  for (const e of elements) {
    if (e.type === 'Character') {
      run += String.fromCodePoint(e.value);
      continue;
    }
    endRun();
    const r = ofElement(e);
    if (r !== null) candidates.push(new Set(r));
  }
  endRun();
  let best: Set<string> | null = null;
  for (const c of candidates) if (best === null || score(c) > score(best)) best = c;
  return best;
}

/** How selective a set is: its shortest string's length, less a little per string. */
function score(set: ReadonlySet<string>): number {
  let shortest = Infinity;
  for (const s of set) shortest = Math.min(shortest, s.length);
  return shortest - set.size / 1000;
}

function ofElement(e: AST.Element): Required {
  switch (e.type) {
    case 'Character':
      return new Set([String.fromCodePoint(e.value)]);
    case 'Group':
    case 'CapturingGroup':
      return ofAlternatives(e.alternatives);
    case 'Quantifier':
      return e.min >= 1 ? ofElement(e.element) : null;
    case 'Assertion': // anchors and look-arounds consume nothing
    case 'Backreference':
    case 'CharacterClass':
    case 'CharacterSet': // `.`, \d, \w, \s, \p{...}
    case 'ExpressionCharacterClass':
      return null;
  }
}
