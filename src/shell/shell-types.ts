// What the shell parser finds in a command line: every simple command it would run, and the parts
// it can not know before they run (computed programs, code read from a pipe, syntax errors).

/** One word of a command after quoting, escapes and the variables known in advance are resolved. */
export interface Word {
  /** The word's value, or null when some part of it is only known at run time. */
  readonly value: string | null;
  /** The known text before the first computed part ('' when it starts computed); the value when known. */
  readonly prefix: string;
  /** The known text after the last computed part; the value when known. */
  readonly suffix: string;
  /** The word as written. */
  readonly source: string;
}

export type RedirectOp = 'write' | 'append' | 'read' | 'read-write' | 'dup' | 'herestring' | 'heredoc';

export interface Redirect {
  readonly op: RedirectOp;
  /** The file (or fd, for dup); null for here-documents and here-strings. */
  readonly target: Word | null;
}

export interface SimpleCommand {
  /** argv[0] is the program, always known (a computed program is an unknown part instead). */
  readonly argv: readonly Word[];
  /** argv[0]'s value. */
  readonly program: string;
  /** The argv of each wrapper it was started through (env, nohup, sudo, timeout, xargs...), outer first. */
  readonly wrappers: readonly (readonly Word[])[];
  readonly redirects: readonly Redirect[];
  /** Program of the pipeline stage that feeds its stdin, when it is one simple command. */
  readonly stdinFrom: string | null;
  /** What a here-document or here-string gives it on stdin (a computed word when not known); null when none. */
  readonly stdinText?: Word | null;
  /** 0 for the command line itself; +1 inside each `bash -c`, `eval`, here-document fed to a shell. */
  readonly depth: number;
}

export interface UnknownPart {
  readonly reason: string;
  readonly source: string;
}

export interface ShellAnalysis {
  readonly commands: readonly SimpleCommand[];
  readonly unknown: readonly UnknownPart[];
}

export function literalWord(value: string): Word {
  return { value, prefix: value, suffix: value, source: value };
}

export function computedWord(source: string, prefix = '', suffix = ''): Word {
  return { value: null, prefix, suffix, source };
}

export function programBasename(program: string): string {
  const slash = program.lastIndexOf('/');
  return slash < 0 ? program : program.slice(slash + 1);
}

const PLAIN = /^[A-Za-z0-9_@%+=:,./-]+$/;

function quote(text: string): string {
  if (text !== '' && PLAIN.test(text)) return text;
  return `'${text.replace(/'/g, `'\\''`)}'`;
}

/** A word as the tests and `praetor policy test` show it: quoted when known, «as written» when not. */
export function renderWord(word: Word): string {
  return word.value !== null ? quote(word.value) : `«${word.source}»`;
}

/** `nohup » /tmp/x --flag «$y»`: the wrappers' own words, then the command they start. */
export function renderCommand(command: SimpleCommand): string {
  const parts = command.wrappers.map((w) => w.map(renderWord).join(' '));
  parts.push(command.argv.map(renderWord).join(' '));
  return parts.join(' » ');
}

export function renderUnknown(part: UnknownPart): string {
  return `?? ${part.reason}: ${part.source.length > 80 ? `${part.source.slice(0, 80)}…` : part.source}`;
}

/** Every line of an analysis, commands first, in the order found. */
export function renderAnalysis(analysis: ShellAnalysis): string[] {
  return [...analysis.commands.map(renderCommand), ...analysis.unknown.map(renderUnknown)];
}
