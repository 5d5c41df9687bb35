// Programs that start another program (env, nohup, sudo, timeout, xargs, find -exec...) or run a
// shell string (bash -c, eval, su -c, watch): what they start, seen through their options. Pure:
// it works on words, so argv from the process monitor and words from the parser go the same way.
// Written by hand: no library knows the option grammar of these tools.
import { computedWord, literalWord, programBasename, type Word } from './shell-types.js';

export type Unwrapped =
  /** Not a wrapper, or a wrapper with nothing to start (`env` alone, `command -v x`). */
  | { readonly kind: 'plain' }
  /** Starts `inner`; `wrapper` is its own words. */
  | { readonly kind: 'command'; readonly wrapper: readonly Word[]; readonly inner: readonly Word[] }
  /** Runs a shell string: `bash -c SCRIPT $0 $1...`, `eval ...`. */
  | { readonly kind: 'script'; readonly script: Word; readonly positional: readonly Word[] }
  /** A shell that reads its commands from stdin. */
  | { readonly kind: 'stdin-script' }
  | { readonly kind: 'unknown'; readonly reason: string };

interface OptionSpec {
  /** Options that take a value: short letters and long names (without dashes). */
  readonly valued: string;
  readonly long?: readonly string[];
  /** Words before the command that are not options (timeout's DURATION, chroot's NEWROOT...). */
  readonly positionals?: number;
  /** NAME=VALUE words may sit between the options and the command. */
  readonly assignments?: boolean;
}

const SPECS: Readonly<Record<string, OptionSpec>> = {
  env: { valued: 'uCSa', long: ['unset', 'chdir', 'split-string', 'argv0', 'default-signal', 'ignore-signal', 'block-signal'], assignments: true },
  nohup: { valued: '' },
  timeout: { valued: 'sk', long: ['signal', 'kill-after'], positionals: 1 },
  nice: { valued: 'n', long: ['adjustment'] },
  ionice: { valued: 'cnp', long: ['class', 'classdata', 'pid'] },
  setsid: { valued: '' },
  stdbuf: { valued: 'ioe', long: ['input', 'output', 'error'] },
  sudo: { valued: 'ugCDhprtUTR', long: ['user', 'group', 'close-from', 'chdir', 'host', 'prompt', 'role', 'type', 'other-user', 'command-timeout', 'chroot'], assignments: true },
  doas: { valued: 'uC' },
  chroot: { valued: '', long: ['userspec', 'groups'], positionals: 1 },
  strace: { valued: 'oepsuEabIOPSX', long: ['output', 'expr', 'attach', 'user', 'env'] },
  ltrace: { valued: 'oepsuEaAbDlnLxX', long: ['output'] },
  taskset: { valued: '', positionals: 1 },
  unbuffer: { valued: '' },
  chronic: { valued: '' },
  proxychains: { valued: 'f' },
  proxychains4: { valued: 'f' },
  torsocks: { valued: 'uapP', long: ['user', 'pass', 'address', 'port'] },
  caffeinate: { valued: 't' },
  time: { valued: 'fo', long: ['format', 'output'] },
  nsenter: { valued: 'tSGwr', long: ['target', 'setuid', 'setgid', 'wd', 'root'] },
  unshare: { valued: '', long: ['map-user', 'map-group', 'setuid', 'setgid', 'wd', 'root', 'propagation'] },
  runuser: { valued: 'ugGs', long: ['user', 'group', 'supp-group', 'shell', 'command'] },
  coproc: { valued: '' },
  builtin: { valued: '' },
  exec: { valued: 'a' },
  firejail: { valued: '' },
};

const SHELLS = new Set(['sh', 'bash', 'dash', 'zsh', 'ksh', 'mksh', 'ash', 'rbash', 'yash', 'posh', 'busybox-sh']);
/** Shell options that take the next word as their value. */
const SHELL_VALUED = new Set(['-o', '+o', '-O', '+O', '--rcfile', '--init-file']);

export function isShell(program: string): boolean {
  return SHELLS.has(programBasename(program));
}

/** Skips options per `spec`; the index of the first word after them, or a reason it can not tell. */
function skipOptions(argv: readonly Word[], start: number, spec: OptionSpec): number | string {
  let i = start;
  while (i < argv.length) {
    const w = argv[i];
    const v = w?.value;
    if (v === null || v === undefined) return `computed word among ${argv[0]?.value ?? 'wrapper'}'s options`;
    if (v === '--') return i + 1;
    if (!v.startsWith('-') || v === '-') break;
    if (v.startsWith('--')) {
      const name = v.slice(2).split('=')[0] ?? '';
      i += !v.includes('=') && (spec.long ?? []).includes(name) ? 2 : 1;
      continue;
    }
    // a cluster of short flags; a valued letter takes the rest of the word, or the next word
    let taken = 1;
    for (let k = 1; k < v.length; k++) {
      if (spec.valued.includes(v[k] ?? '')) {
        if (k === v.length - 1) taken = 2;
        break;
      }
    }
    i += taken;
  }
  return i;
}

function afterPositionals(argv: readonly Word[], i: number, spec: OptionSpec): number {
  let j = i + (spec.positionals ?? 0);
  if (spec.assignments) while (j < argv.length && /^[A-Za-z_][A-Za-z0-9_]*=/.test(argv[j]?.value ?? '')) j++;
  return j;
}

function generic(argv: readonly Word[], spec: OptionSpec): Unwrapped {
  const i = skipOptions(argv, 1, spec);
  if (typeof i === 'string') return { kind: 'unknown', reason: i };
  const j = afterPositionals(argv, i, spec);
  if (j >= argv.length) return { kind: 'plain' };
  return { kind: 'command', wrapper: argv.slice(0, j), inner: argv.slice(j) };
}

function shell(argv: readonly Word[]): Unwrapped {
  let commandMode = false;
  let stdinMode = false;
  let i = 1;
  for (; i < argv.length; i++) {
    const v = argv[i]?.value;
    // after -c, the first word that is not an option is the script, computed or not
    if ((v === null || v === undefined) && commandMode) break;
    if (v === null || v === undefined) return { kind: 'unknown', reason: `computed option of ${argv[0]?.value ?? 'a shell'}` };
    if (v === '--' || v === '-') {
      i++;
      break;
    }
    if (SHELL_VALUED.has(v)) {
      i++;
      continue;
    }
    if (/^[-+][A-Za-z]+$/.test(v)) {
      if (v.startsWith('-') && v.includes('c')) commandMode = true;
      if (v.startsWith('-') && v.includes('s')) stdinMode = true;
      continue;
    }
    if (v.startsWith('--')) continue;
    break;
  }
  if (commandMode) {
    const script = argv[i];
    if (script === undefined) return { kind: 'unknown', reason: `${argv[0]?.value ?? 'shell'} -c without a script` };
    return { kind: 'script', script, positional: argv.slice(i + 1) };
  }
  // a script file runs what the file holds: the file is the command; stdin is read only without one
  return i < argv.length && !stdinMode ? { kind: 'plain' } : { kind: 'stdin-script' };
}

/** eval and watch join their words with spaces into one script. */
function joined(argv: readonly Word[], from: number): Unwrapped {
  const words = argv.slice(from);
  if (words.length === 0) return { kind: 'plain' };
  const known = words.every((w) => w.value !== null);
  const source = words.map((w) => w.source).join(' ');
  const value = words.map((w) => w.value).join(' ');
  return { kind: 'script', script: known ? { value, prefix: value, suffix: value, source } : computedWord(source), positional: [] };
}

function xargs(argv: readonly Word[]): Unwrapped {
  // -i, -e and -l take their value attached only, so they are plain flags here
  const spec: OptionSpec = { valued: 'adEILnPs', long: ['arg-file', 'delimiter', 'eof', 'replace', 'max-lines', 'max-args', 'max-procs', 'max-chars', 'process-slot-var'] };
  let replace: string | null = null;
  for (let k = 1; k < argv.length; k++) {
    const v = argv[k]?.value ?? '';
    if (!v.startsWith('-')) break;
    if (v === '-I') replace = argv[k + 1]?.value ?? null;
    else if (v.startsWith('-I')) replace = v.slice(2);
    else if (v.startsWith('--replace=')) replace = v.slice(10);
    else if (v === '-i' || v === '--replace') replace = '{}';
    else if (v.startsWith('-i')) replace = v.slice(2);
  }
  const i = skipOptions(argv, 1, spec);
  if (typeof i === 'string') return { kind: 'unknown', reason: i };
  const inner = i >= argv.length ? [literalWord('echo')] : argv.slice(i);
  // the arguments read from stdin are appended, or replace every occurrence of the replace string
  const withInput =
    replace === null
      ? [...inner, computedWord('<arguments from stdin>')]
      : inner.map((w) => (replace !== null && w.value?.includes(replace) ? computedWord(w.source, w.value.split(replace)[0], w.value.split(replace).at(-1)) : w));
  if (withInput[0]?.value === null) return { kind: 'unknown', reason: 'xargs starts a program named by its input' };
  return { kind: 'command', wrapper: argv.slice(0, i), inner: withInput };
}

/** find's -exec, -execdir, -ok and -okdir each start a command (`{}` is a found path). */
export function findExecs(argv: readonly Word[]): (readonly Word[])[] {
  if (programBasename(argv[0]?.value ?? '') !== 'find') return [];
  const found: Word[][] = [];
  for (let i = 1; i < argv.length; i++) {
    if (!['-exec', '-execdir', '-ok', '-okdir'].includes(argv[i]?.value ?? '')) continue;
    const inner: Word[] = [];
    let j = i + 1;
    for (; j < argv.length; j++) {
      const v = argv[j]?.value;
      if (v === ';' || v === '+') break;
      const w = argv[j];
      if (w !== undefined) inner.push(v?.includes('{}') ? computedWord(w.source, v.split('{}')[0], v.split('{}').at(-1)) : w);
    }
    if (inner.length > 0) found.push(inner);
    i = j;
  }
  return found;
}

function flock(argv: readonly Word[]): Unwrapped {
  const i = skipOptions(argv, 1, { valued: 'wEc', long: ['timeout', 'conflict-exit-code', 'command'] });
  if (typeof i === 'string') return { kind: 'unknown', reason: i };
  const c = argv.findIndex((w, k) => k > 0 && (w.value === '-c' || w.value === '--command'));
  if (c > 0) {
    const script = argv[c + 1];
    return script === undefined ? { kind: 'plain' } : { kind: 'script', script, positional: [] };
  }
  // flock FILE CMD...; flock FD alone locks for the calling shell
  return i + 1 < argv.length ? { kind: 'command', wrapper: argv.slice(0, i + 1), inner: argv.slice(i + 1) } : { kind: 'plain' };
}

function su(argv: readonly Word[]): Unwrapped {
  const c = argv.findIndex((w, k) => k > 0 && (w.value === '-c' || w.value === '--command' || w.value === '--session-command'));
  const attached = argv.find((w, k) => k > 0 && w.value?.startsWith('--command='));
  if (attached?.value) return { kind: 'script', script: literalWord(attached.value.slice('--command='.length)), positional: [] };
  const script = c > 0 ? argv[c + 1] : undefined;
  return script === undefined ? { kind: 'plain' } : { kind: 'script', script, positional: [] };
}

function command(argv: readonly Word[]): Unwrapped {
  let i = 1;
  while (i < argv.length && /^-[pvV]+$/.test(argv[i]?.value ?? '')) {
    if (/[vV]/.test(argv[i]?.value ?? '')) return { kind: 'plain' }; // a lookup, runs nothing
    i++;
  }
  return i < argv.length ? { kind: 'command', wrapper: argv.slice(0, i), inner: argv.slice(i) } : { kind: 'plain' };
}

function busybox(argv: readonly Word[]): Unwrapped {
  const applet = argv[1];
  if (applet === undefined || applet.value?.startsWith('-')) return { kind: 'plain' };
  if (applet.value !== null && isShell(applet.value)) return shell(argv.slice(1));
  return { kind: 'command', wrapper: argv.slice(0, 1), inner: argv.slice(1) };
}

/** env -S STRING splits STRING into words (no shell); parsing it as a script finds the same program. */
function envSplit(argv: readonly Word[]): Unwrapped | null {
  for (let k = 1; k < argv.length; k++) {
    const v = argv[k]?.value;
    if (v === null || v === undefined || !v.startsWith('-')) return null;
    if (v === '-S' || v === '--split-string') return joined([literalWord('env'), ...argv.slice(k + 1)], 1);
    if (v.startsWith('--split-string=')) return joined([literalWord('env'), literalWord(v.slice(15)), ...argv.slice(k + 1)], 1);
    if (v.startsWith('-S')) return joined([literalWord('env'), literalWord(v.slice(2)), ...argv.slice(k + 1)], 1);
  }
  return null;
}

function watch(argv: readonly Word[]): Unwrapped {
  const i = skipOptions(argv, 1, { valued: 'nqf', long: ['interval', 'equexit'] });
  if (typeof i === 'string') return { kind: 'unknown', reason: i };
  return joined(argv, i);
}

/** What a command starts, seen through its options. */
export function unwrap(argv: readonly Word[]): Unwrapped {
  const program = argv[0]?.value;
  if (program === null || program === undefined) return { kind: 'plain' };
  const name = programBasename(program);
  if (SHELLS.has(name)) return shell(argv);
  switch (name) {
    case 'eval':
      return joined(argv, 1);
    case 'xargs':
      return xargs(argv);
    case 'flock':
      return flock(argv);
    case 'su':
      return su(argv);
    case 'command':
      return command(argv);
    case 'busybox':
      return busybox(argv);
    case 'watch':
      return watch(argv);
    case 'env':
      return envSplit(argv) ?? generic(argv, SPECS.env ?? { valued: '' });
    case 'sudo':
      // sudo -e (sudoedit) edits files, -l lists: neither starts a command
      if (argv.some((w, i) => i > 0 && /^-[a-zA-Z]*[el][a-zA-Z]*$/.test(w.value ?? '') && !/^-[a-zA-Z]*[ugCDhprtUTR][a-zA-Z]*$/.test(w.value ?? ''))) return { kind: 'plain' };
      return generic(argv, SPECS.sudo ?? { valued: '' });
    default: {
      const spec = SPECS[name];
      return spec === undefined ? { kind: 'plain' } : generic(argv, spec);
    }
  }
}
