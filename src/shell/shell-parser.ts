// The shell parser: a bash command line, parsed by tree-sitter-bash, into every simple command it
// would run (pipelines, lists, subshells, command and process substitution, functions, loops,
// `bash -c` / `eval` / here-documents fed to a shell parsed again, wrappers seen through) and the
// parts it can not know before they run. What it can not resolve it reports, never guesses.
import { createRequire } from 'node:module';
import { Language, Parser, type Node } from 'web-tree-sitter';
import { assignedValue, expandWord, type ExpandContext } from './shell-words.js';
import { computedWord, literalWord, programBasename, type Redirect, type ShellAnalysis, type SimpleCommand, type UnknownPart, type Word } from './shell-types.js';
import { findExecs, unwrap } from './wrappers.js';

export interface ShellParseOptions {
  /** Variables set before the command runs (the sandbox's environment); others are unknown. */
  readonly env?: Readonly<Record<string, string>>;
  /** What the command reads on stdin, when known (an exec's input): a shell reading it is parsed. */
  readonly stdin?: string;
}

const MAX_DEPTH = 8;
const MAX_COMMANDS = 2_000;
const MAX_SCRIPT_CHARS = 256 * 1024;

interface Frame {
  readonly scope: Map<string, string | null>;
  readonly positional: readonly (string | null)[] | null;
  readonly depth: number;
  /** Inside a branch, loop or function: an assignment here may or may not happen. */
  readonly conditional: boolean;
  ifsChanged: boolean;
}

interface Flow {
  readonly redirects: readonly Redirect[];
  readonly stdinFrom: string | null;
  /** The stage reads a pipe. */
  readonly piped: boolean;
  /** A here-document or here-string on stdin: its text when known, a computed word when not. */
  readonly stdinText: Word | null;
  /** Words written after a redirection (`cmd > f arg`): arguments of the command. */
  readonly extraArgs: readonly Word[];
}

const NO_FLOW: Flow = { redirects: [], stdinFrom: null, piped: false, stdinText: null, extraArgs: [] };
const STATEMENTS = new Set([
  'command', 'pipeline', 'list', 'subshell', 'compound_statement', 'redirected_statement', 'variable_assignment',
  'variable_assignments', 'declaration_command', 'unset_command', 'for_statement', 'c_style_for_statement',
  'while_statement', 'if_statement', 'case_statement', 'function_definition', 'negated_command', 'test_command', 'ERROR',
]);

/** One analysis: the commands and unknown parts found so far, and the parser to parse nested scripts. */
class Walk {
  readonly commands: SimpleCommand[] = [];
  readonly unknown: UnknownPart[] = [];

  constructor(
    private readonly parser: Parser,
    private readonly env: ReadonlyMap<string, string>,
  ) {}

  unknownPart(reason: string, source: string): void {
    this.unknown.push({ reason, source });
  }

  /** Parses and walks a script in a fresh shell (its own variables) or the current one (eval). */
  script(text: string, frame: Frame, flow: Flow): void {
    if (frame.depth > MAX_DEPTH) return this.unknownPart('nested too deep', text);
    if (text.length > MAX_SCRIPT_CHARS) return this.unknownPart('script too long to check', text);
    const tree = this.parser.parse(text);
    if (tree === null) return this.unknownPart('could not parse', text);
    try {
      const before = this.unknown.length;
      this.statements(tree.rootNode, frame, flow);
      // ERROR nodes report themselves; a missing token (an unclosed quote) shows only on the root
      if (tree.rootNode.hasError && !this.unknown.slice(before).some((u) => u.reason === 'syntax error')) this.unknownPart('syntax error', text);
    } finally {
      tree.delete();
    }
  }

  freshFrame(depth: number, positional: readonly (string | null)[] | null): Frame {
    return { scope: new Map(this.env), positional, depth, conditional: false, ifsChanged: false };
  }

  private statements(node: Node, frame: Frame, flow: Flow): void {
    for (const child of node.namedChildren) this.walk(child, frame, flow);
  }

  private walk(node: Node, frame: Frame, flow: Flow): void {
    if (this.commands.length > MAX_COMMANDS) {
      if (!this.unknown.some((u) => u.reason === 'too many commands')) this.unknownPart('too many commands', node.text);
      return;
    }
    switch (node.type) {
      case 'comment':
        return;
      case 'program':
      case 'compound_statement':
      case 'do_group':
        return this.statements(node, frame, flow);
      case 'subshell':
        return this.statements(node, isolated(frame), flow);
      case 'list': {
        // a && b, a || b: what follows the operator may not run
        node.namedChildren.forEach((c, i) => this.walk(c, i === 0 ? frame : { ...frame, conditional: true }, flow));
        return;
      }
      case 'pipeline':
        return this.pipeline(node, frame, flow);
      case 'redirected_statement':
        return this.redirected(node, frame, flow);
      case 'command':
        return this.command(node, frame, flow);
      case 'variable_assignment':
        return this.assign(node, frame);
      case 'variable_assignments':
      case 'declaration_command':
        for (const c of node.namedChildren) {
          if (c.type === 'variable_assignment') this.assign(c, frame);
          else if (c.type === 'variable_name') frame.scope.set(c.text, null);
          else this.scan(c, frame);
        }
        return;
      case 'unset_command':
        for (const c of node.namedChildren) frame.scope.set(c.text, null);
        return;
      case 'for_statement': {
        const variable = node.childForFieldName('variable');
        for (const c of node.namedChildren) if (c !== variable && c.type !== 'do_group') this.scan(c, frame);
        if (variable) frame.scope.set(variable.text, null);
        const body = node.childForFieldName('body');
        if (body) this.walk(body, { ...frame, conditional: true }, flow);
        return;
      }
      case 'ERROR':
        this.unknownPart('syntax error', node.text);
        return this.statements(node, frame, flow);
      default: {
        // if, while, case, c-style for, functions, tests, negation: every part may or may not run
        const inner = { ...frame, conditional: true };
        for (const c of node.namedChildren) {
          if (STATEMENTS.has(c.type) || c.type.endsWith('_clause') || c.type === 'case_item' || c.type === 'do_group') this.walk(c, inner, flow);
          else this.scan(c, inner);
        }
      }
    }
  }

  /** Finds the commands of substitutions inside a node that is not itself a statement. */
  private scan(node: Node, frame: Frame): void {
    for (const sub of node.descendantsOfType(['command_substitution', 'process_substitution'])) {
      if (sub) this.statements(sub, isolated(frame), NO_FLOW);
    }
  }

  private expandContext(frame: Frame): ExpandContext {
    return {
      lookup: (name) => lookup(frame, name),
      ifsChanged: frame.ifsChanged,
      substitution: (node) => this.statements(node, isolated(frame), NO_FLOW),
    };
  }

  private assign(node: Node, frame: Frame): void {
    const name = node.childForFieldName('name')?.text ?? '';
    const valueNode = node.childForFieldName('value');
    const value = assignedValue(valueNode, this.expandContext(frame));
    const append = node.text.startsWith(`${name}+=`);
    if (name === 'IFS') frame.ifsChanged = true;
    const before = lookup(frame, name);
    const next = frame.conditional || value === null ? null : append ? (before === null ? null : before + value) : value;
    frame.scope.set(name.replace(/\[.*$/, ''), next);
  }

  private pipeline(node: Node, frame: Frame, flow: Flow): void {
    let previous: string | null = flow.stdinFrom;
    node.namedChildren.forEach((stage, i) => {
      const before = this.commands.length;
      // every stage runs in a subshell of its own
      this.walk(stage, isolated(frame), { ...flow, stdinFrom: previous, piped: i > 0 || flow.piped, stdinText: i === 0 ? flow.stdinText : null });
      const own = this.commands.slice(before).filter((c) => c.depth === frame.depth);
      previous = own.at(-1)?.program ?? null;
    });
  }

  private redirected(node: Node, frame: Frame, flow: Flow): void {
    const body = node.childForFieldName('body');
    const redirects: Redirect[] = [];
    let stdinText = flow.stdinText;
    const ctx = this.expandContext(frame);
    const extraArgs: Word[] = [];
    for (const r of node.namedChildren) {
      if (r === body) continue;
      if (r.type === 'file_redirect') {
        redirects.push(fileRedirect(r, ctx));
        extraArgs.push(...redirectExtras(r, ctx));
      }
      else if (r.type === 'herestring_redirect') {
        const word = r.namedChildren.find((c) => c.type !== 'file_descriptor');
        stdinText = word ? joinWords(expandWord(word, ctx), word.text) : computedWord(r.text);
        redirects.push({ op: 'herestring', target: null });
      } else if (r.type === 'heredoc_redirect') {
        stdinText = heredocText(r);
        redirects.push({ op: 'heredoc', target: null });
        for (const inner of r.namedChildren) {
          if (inner.type === 'file_redirect') redirects.push(fileRedirect(inner, ctx));
          else if (STATEMENTS.has(inner.type)) this.walk(inner, frame, NO_FLOW);
          else if (inner.type === 'heredoc_body') this.scan(inner, frame);
        }
      } else this.scan(r, frame);
    }
    if (extraArgs.length > 0 && body?.type !== 'command') this.unknownPart('words after a redirection', node.text);
    if (body) this.walk(body, frame, { ...flow, redirects: [...flow.redirects, ...redirects], stdinText, extraArgs: body.type === 'command' ? extraArgs : [] });
  }

  private command(node: Node, frame: Frame, flow: Flow): void {
    const ctx = this.expandContext(frame);
    const argv: Word[] = [];
    const redirects: Redirect[] = [...flow.redirects];
    let stdinText = flow.stdinText;
    const assignments: Node[] = [];
    for (const c of node.namedChildren) {
      if (c.type === 'variable_assignment') assignments.push(c);
      else if (c.type === 'command_name') for (const w of c.namedChildren) argv.push(...expandWord(w, ctx));
      else if (c.type === 'file_redirect') {
        redirects.push(fileRedirect(c, ctx));
        argv.push(...redirectExtras(c, ctx));
      } else if (c.type === 'herestring_redirect') {
        const word = c.namedChildren.find((x) => x.type !== 'file_descriptor');
        stdinText = word ? joinWords(expandWord(word, ctx), word.text) : computedWord(c.text);
        redirects.push({ op: 'herestring', target: null });
      } else argv.push(...expandWord(c, ctx));
    }
    // FOO=bar cmd: the value is the command's alone; with no command, it stays in the shell
    for (const a of assignments) {
      if (argv.length === 0) this.assign(a, frame);
      else assignedValue(a.childForFieldName('value'), ctx);
    }
    argv.push(...flow.extraArgs);
    if (argv.length === 0) return;
    this.emit(argv, frame, { ...flow, redirects, stdinText, extraArgs: [] }, []);
  }

  emit(argv: readonly Word[], frame: Frame, flow: Flow, wrappers: readonly (readonly Word[])[]): void {
    const first = argv[0];
    if (first === undefined) return;
    if (first.value === null) return this.unknownPart('computed program', argv.map((w) => w.source).join(' '));
    if (first.value === '') return this.unknownPart('empty program name', argv.map((w) => w.source).join(' '));
    const push = (): void => {
      this.commands.push({ argv, program: first.value ?? '', wrappers, redirects: flow.redirects, stdinFrom: flow.stdinFrom, stdinText: flow.stdinText, depth: frame.depth });
    };
    const u = unwrap(argv);
    switch (u.kind) {
      case 'plain':
        push();
        for (const inner of findExecs(argv)) this.emit(inner, frame, { ...NO_FLOW }, [...wrappers, argv]);
        return;
      case 'command':
        return this.emit(u.inner, frame, flow, [...wrappers, u.wrapper]);
      case 'unknown':
        push();
        return this.unknownPart(u.reason, argv.map((w) => w.source).join(' '));
      case 'script': {
        push();
        if (u.script.value === null) {
          this.unknownPart(`computed script for ${programBasename(first.value)}`, u.script.source);
          // a double-quoted script is read as written too, its expansions left to the inner shell
          // (where they are unknown): what it plainly runs is found, the unknown part stays
          const quoted = /^"([\s\S]*)"$/.exec(u.script.source)?.[1];
          if (quoted !== undefined) this.script(quoted, this.freshFrame(frame.depth + 1, null), { ...NO_FLOW });
          return;
        }
        const inner = { ...NO_FLOW, stdinFrom: flow.stdinFrom, piped: flow.piped };
        if (programBasename(first.value) === 'eval') return this.script(u.script.value, { ...frame, depth: frame.depth + 1 }, inner);
        return this.script(u.script.value, this.freshFrame(frame.depth + 1, u.positional.map((w) => w.value)), inner);
      }
      case 'stdin-script': {
        push();
        const text = flow.stdinText;
        if (text !== null && text.value !== null) return this.script(text.value, this.freshFrame(frame.depth + 1, null), NO_FLOW);
        if (text !== null) return this.unknownPart('a shell reads a computed here-document', text.source);
        return this.unknownPart(flow.piped ? 'a shell reads its commands from a pipe' : 'a shell reads its commands from stdin', argv.map((w) => w.source).join(' '));
      }
    }
  }
}

function isolated(frame: Frame): Frame {
  return { ...frame, scope: new Map(frame.scope) };
}

function lookup(frame: Frame, name: string): string | null {
  if (/^[0-9]+$/.test(name)) return frame.positional?.[Number(name)] ?? null;
  return frame.scope.get(name) ?? null;
}

function joinWords(words: readonly Word[], source: string): Word {
  if (words.length === 1 && words[0]) return words[0];
  return words.every((w) => w.value !== null) ? literalWithSource(words.map((w) => w.value).join(' '), source) : computedWord(source);
}

function literalWithSource(value: string, source: string): Word {
  return { value, prefix: value, suffix: value, source };
}

/** tree-sitter-bash gives the words after a redirection's target as more targets; bash passes them as arguments. */
function redirectExtras(node: Node, ctx: ExpandContext): Word[] {
  const targets = node.childrenForFieldName('destination');
  return targets.slice(1).flatMap((w) => expandWord(w, ctx));
}

function fileRedirect(node: Node, ctx: ExpandContext): Redirect {
  const dest = node.childForFieldName('destination') ?? node.namedChildren.filter((c) => c.type !== 'file_descriptor' && c.type !== 'ERROR').at(-1) ?? null;
  const words = dest ? expandWord(dest, ctx) : [];
  const target = dest === null ? null : words.length === 1 && words[0] ? words[0] : computedWord(dest.text);
  const ops = node.children.filter((c) => !c.isNamed).map((c) => c.type).join('');
  const text = node.text;
  if (text.includes('<>')) return { op: 'read-write', target };
  if (ops.includes('>>')) return { op: 'append', target };
  if (ops === '>&' || ops === '<&' || ops === '>&-' || ops === '<&-') {
    const fd = target?.value ?? '';
    return /^[0-9]*-?$/.test(fd) ? { op: 'dup', target } : { op: 'write', target };
  }
  if (ops.includes('>')) return { op: 'write', target };
  return { op: 'read', target };
}

/** A here-document's text: literal when its delimiter is quoted or it expands nothing. */
function heredocText(node: Node): Word {
  const start = node.namedChildren.find((c) => c.type === 'heredoc_start')?.text ?? '';
  const body = node.namedChildren.find((c) => c.type === 'heredoc_body');
  if (body === undefined) return literalWord('');
  const quoted = /['"\\]/.test(start);
  const expands = body.namedChildren.some((c) => c.type !== 'heredoc_content');
  if (!quoted && expands) return computedWord(body.text);
  const dash = node.text.startsWith('<<-');
  const text = quoted ? body.text : body.text.replace(/\\([$`\\\n])/g, (_m, ch: string) => (ch === '\n' ? '' : ch));
  return literalWord(dash ? text.replace(/^\t+/gm, '') : text);
}

/** Loads the grammar once per process: the wasm runtime is a process-wide resource of web-tree-sitter. */
let grammar: Promise<Language> | null = null;
function loadGrammar(): Promise<Language> {
  grammar ??= (async () => {
    await Parser.init();
    const require = createRequire(import.meta.url);
    return Language.load(require.resolve('tree-sitter-bash/tree-sitter-bash.wasm'));
  })();
  return grammar;
}

export class ShellParser {
  private constructor(private readonly parser: Parser) {}

  static async create(): Promise<ShellParser> {
    const language = await loadGrammar();
    const parser = new Parser();
    parser.setLanguage(language);
    return new ShellParser(parser);
  }

  /** Every simple command a `bash -c SCRIPT` would run, and what can not be known before it runs. */
  analyzeScript(script: string, options: ShellParseOptions = {}): ShellAnalysis {
    const walk = new Walk(this.parser, new Map(Object.entries(options.env ?? {})));
    const stdinText = options.stdin === undefined ? null : literalWord(options.stdin);
    walk.script(script, walk.freshFrame(0, null), { ...NO_FLOW, stdinText });
    return { commands: walk.commands, unknown: walk.unknown };
  }

  /** The same for an exec's argv: the program, then whatever it starts (`bash -c`, wrappers). */
  analyzeArgv(argv: readonly string[], options: ShellParseOptions = {}): ShellAnalysis {
    const walk = new Walk(this.parser, new Map(Object.entries(options.env ?? {})));
    const stdinText = options.stdin === undefined ? null : literalWord(options.stdin);
    walk.emit(argv.map(literalWord), walk.freshFrame(0, null), { ...NO_FLOW, stdinText }, []);
    return { commands: walk.commands, unknown: walk.unknown };
  }

  /** Frees the parser's wasm memory. */
  delete(): void {
    this.parser.delete();
  }
}


