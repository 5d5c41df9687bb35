// One policy rule, compiled: how it matches a simple command (program, arguments, redirections,
// the pipe feeding it), a path written or read, or a network target. Every match is three-valued
// (no / maybe / yes): "maybe" means a word it depends on is computed at run time.
import { posix } from 'node:path';
import { programBasename, type SimpleCommand, type Word } from '../shell/shell-types.js';
import { MatcherSet, MAYBE, NO, YES, triAny, type Tri } from './policy-matchers.js';
import type { Decision, PolicyRule, Tier } from './policy-schema.js';

/** Where relative paths are resolved, and the home `~` stands for, in a praetor sandbox. */
export const SANDBOX_CWD = '/workspace';
export const SANDBOX_HOME = '/tmp/home';

export interface RuleRef {
  readonly id: string;
  readonly decision: Decision;
  readonly reason: string;
  readonly technique: string | null;
  readonly tier: Tier;
  /** The policy (file or preset) it came from. */
  readonly policy: string;
}

interface ArgsMatcher {
  readonly prefix?: readonly MatcherSet[];
  readonly exact?: readonly MatcherSet[];
  readonly any?: MatcherSet;
  readonly flags?: readonly string[];
}

export interface CompiledPolicyRule {
  readonly ref: RuleRef;
  readonly kind: 'command' | 'write' | 'read' | 'network';
  readonly examples: { readonly match: readonly string[]; readonly notMatch: readonly string[] };
  command(cmd: SimpleCommand, cwd: string): Tri;
  path(path: string): boolean;
  network(host: string, port: number | null): boolean;
}

function compile(m: Parameters<typeof MatcherSet.compile>[0], where: string, errors: string[]): MatcherSet | null {
  const r = MatcherSet.compile(m);
  if ('error' in r) {
    errors.push(`${where}: ${r.error}`);
    return null;
  }
  return r.set;
}

/** A flag given in a word: `-R`, in a cluster of letters `-fNR`, `--name` or `--name=value`. */
function hasFlag(value: string, flag: string): boolean {
  if (flag.startsWith('--')) return value === flag || value.startsWith(`${flag}=`);
  if (!value.startsWith('-') || value.startsWith('--') || value.length < 2) return false;
  const letter = flag.slice(1);
  const cluster = value.slice(1);
  // a cluster of letters holds each; `-oRemoteForward=x` holds only -o (the rest is its value)
  return /^[A-Za-z0-9]+$/.test(cluster) ? cluster.includes(letter) : cluster.startsWith(letter);
}

function minTri(...values: Tri[]): Tri {
  return Math.min(...values) as Tri;
}

function matchArgs(args: ArgsMatcher, words: readonly Word[], programNamed: boolean): Tri {
  const parts: Tri[] = [];
  if (args.prefix) parts.push(minTri(...args.prefix.map((m, i) => (words[i] === undefined ? NO : m.word(words[i])))));
  if (args.exact) {
    parts.push(words.length !== args.exact.length ? NO : minTri(YES, ...args.exact.map((m, i) => (words[i] === undefined ? NO : m.word(words[i])))));
  }
  // a computed argument could be anything: it counts only for a rule about this program
  if (args.any) parts.push(triAny(words.map((w) => args.any?.word(w, !programNamed) ?? NO)));
  if (args.flags) {
    const flags = args.flags;
    parts.push(
      triAny(
        words.map((w) => {
          if (w.value !== null) return flags.some((f) => hasFlag(w.value ?? '', f)) ? YES : NO;
          return programNamed && (w.prefix === '' || w.prefix.startsWith('-')) ? MAYBE : NO;
        }),
      ),
    );
  }
  return minTri(YES, ...parts);
}

/** A path word made absolute (against cwd and the home); a computed one keeps its known ends. */
export function absoluteWord(word: Word, cwd: string): Word {
  const fix = (p: string): string => (p.startsWith('/') ? p : posix.join(cwd, p));
  if (word.value !== null) {
    const v = word.value === '' ? '' : posix.normalize(fix(word.value));
    return { ...word, value: v, prefix: v, suffix: v };
  }
  return word.prefix === '' ? word : { ...word, prefix: fix(word.prefix) };
}

const FILE_WRITES = new Set(['write', 'append', 'read-write']);
const FILE_READS = new Set(['read', 'read-write']);

function writesOf(cmd: SimpleCommand): Word[] {
  const targets = cmd.redirects.flatMap((r) => (FILE_WRITES.has(r.op) && r.target !== null ? [r.target] : []));
  if (programBasename(cmd.program) === 'tee') targets.push(...cmd.argv.slice(1).filter((w) => !(w.value ?? w.prefix).startsWith('-')));
  return targets;
}

function urlsOf(cmd: SimpleCommand): { host: string; port: number | null }[] {
  const found: { host: string; port: number | null }[] = [];
  for (const w of [...cmd.argv.slice(1), ...cmd.wrappers.flatMap((x) => x.slice(1))]) {
    const v = w.value;
    if (v === null || !v.includes('://')) continue;
    const at = v.indexOf('://');
    const start = v.slice(0, at).search(/[A-Za-z][A-Za-z0-9+.-]*$/);
    try {
      const url = new URL(v.slice(start < 0 ? 0 : start));
      if (url.hostname !== '') found.push({ host: url.hostname.replace(/^\[|\]$/g, ''), port: url.port === '' ? null : Number(url.port) });
    } catch {
      // not a URL after all
    }
  }
  return found;
}

export function compileRule(rule: PolicyRule, tier: Tier, policy: string, where: string): { rule: CompiledPolicyRule | null; errors: string[] } {
  const errors: string[] = [];
  const ref: RuleRef = { id: rule.id, decision: rule.decision, reason: rule.reason, technique: rule.technique ?? null, tier, policy };
  const examples = { match: rule.examples?.match ?? [], notMatch: rule.examples?.notMatch ?? [] };
  const base = { ref, examples, command: (): Tri => NO, path: (): boolean => false, network: (): boolean => false };

  if (rule.command) {
    const c = rule.command;
    const program = c.program === undefined ? null : compile(c.program, `${where}.command.program`, errors);
    const redirect = c.redirect === undefined ? null : compile(c.redirect, `${where}.command.redirect`, errors);
    const stdinFrom = c.stdinFrom === undefined ? null : compile(c.stdinFrom, `${where}.command.stdinFrom`, errors);
    const sets = (list: readonly Parameters<typeof MatcherSet.compile>[0][] | undefined, name: string): MatcherSet[] | undefined =>
      list?.map((m, i) => compile(m, `${where}.command.args.${name}[${i}]`, errors)).filter((m): m is MatcherSet => m !== null);
    const args: ArgsMatcher | null = c.args
      ? {
          ...(c.args.prefix ? { prefix: sets(c.args.prefix, 'prefix') } : {}),
          ...(c.args.exact ? { exact: sets(c.args.exact, 'exact') } : {}),
          ...(c.args.any ? { any: compile(c.args.any, `${where}.command.args.any`, errors) ?? undefined } : {}),
          ...(c.args.flags ? { flags: c.args.flags } : {}),
        }
      : null;
    if (errors.length > 0) return { rule: null, errors };
    const programNamed = program !== null;
    return {
      rule: {
        ...base,
        kind: 'command',
        command(cmd, cwd) {
          const shared: Tri[] = [];
          if (redirect) {
            const targets = cmd.redirects.flatMap((r) => (FILE_WRITES.has(r.op) || FILE_READS.has(r.op)) && r.target !== null ? [absoluteWord(r.target, cwd)] : []);
            shared.push(triAny(targets.map((t) => redirect.word(t))));
          }
          if (stdinFrom) shared.push(cmd.stdinFrom !== null && stdinFrom.testProgram(cmd.stdinFrom) ? YES : NO);
          const own = minTri(YES, ...shared);
          if (own === NO) return NO;
          // the command itself or any wrapper it was started through (sudo, nohup...)
          const candidates = [cmd.argv, ...cmd.wrappers];
          const best = triAny(
            candidates.map((argv) => {
              const name = argv[0]?.value;
              if (program && (name === null || name === undefined || !program.testProgram(name))) return NO;
              return args ? matchArgs(args, argv.slice(1), programNamed) : YES;
            }),
          );
          return minTri(own, best);
        },
      },
      errors,
    };
  }
  if (rule.write !== undefined || rule.read !== undefined) {
    const kind = rule.write !== undefined ? 'write' : 'read';
    const set = compile((rule.write ?? rule.read)!, `${where}.${kind}`, errors);
    if (set === null) return { rule: null, errors };
    return {
      rule: {
        ...base,
        kind,
        path: (p) => set.test(posix.normalize(p.startsWith('/') ? p : posix.join(SANDBOX_CWD, p))),
        command(cmd, cwd) {
          if (kind === 'write') return triAny(writesOf(cmd).map((w) => set.word(absoluteWord(w, cwd))));
          const redirects = cmd.redirects.flatMap((r) => (FILE_READS.has(r.op) && r.target !== null ? [absoluteWord(r.target, cwd)] : []));
          // any argument naming the file reads it for this rule; only a known one counts
          const args = cmd.argv.slice(1).filter((w) => w.value !== null && w.value !== '' && !w.value.startsWith('-')).map((w) => absoluteWord(w, cwd));
          return triAny([...redirects.map((w) => set.word(w)), ...args.map((w) => set.word(w, true))]);
        },
      },
      errors,
    };
  }
  const n = rule.network;
  if (n === undefined) return { rule: null, errors: [`${where}: no match given`] };
  const host = compile(n.host, `${where}.network.host`, errors);
  if (host === null) return { rule: null, errors };
  const ports = n.ports === undefined ? null : new Set(n.ports);
  const network = (h: string, port: number | null): boolean => host.test(h.toLowerCase()) && (ports === null || (port !== null && ports.has(port)));
  return {
    rule: { ...base, kind: 'network', network, command: (cmd) => (urlsOf(cmd).some((u) => network(u.host, u.port)) ? YES : NO) },
    errors,
  };
}
