// The command-text layer: what a command line would run, in a form detection rules can match
// whatever the spelling: every program (wrappers and multi-call binaries seen through), each
// command with its paths normalised (~, $HOME, the home directories, //, /./, .., quotes; globs
// matched against the paths that matter), and the intents its idioms show (a socket handed to a
// shell in any language, a download run by an interpreter). It reads the text only, so it works
// when the binary does not exist: the intent is on record where the attempt fails.
import { posix } from 'node:path';
import { interpreterCode } from './interpreter-code.js';
import { isShell, unwrap } from './wrappers.js';
import { programBasename, type ShellAnalysis, type SimpleCommand, type Word } from './shell-types.js';

export interface CommandTextOptions {
  /** The working directory the command starts in (relative paths are joined to it). */
  readonly cwd?: string;
  /** Paths (normalised, `~/...` for the home) a glob is tested against: `/root/.ss?/id_*` names `~/.ssh/id_rsa`. */
  readonly probePaths?: readonly string[];
}

export interface CommandText {
  /** Basenames of every program the line would run, wrappers' own included, in order, unique. */
  readonly programs: readonly string[];
  /**
   * Each command as `program arg...`: the program's basename, paths normalised, a shell's script left
   * out; then the paths it names that its words do not show (what a glob matches, paths in its code).
   */
  readonly lines: readonly string[];
  /** Every path named as an argument, in a redirection or in interpreter code, normalised. */
  readonly paths: readonly string[];
  /**
   * Tags for what the idioms show: `socket-exec:LANG` (a socket handed to a process), `socket:LANG`,
   * `download-exec:LANG`, `dev-tcp` (-read, -write), `dev-tcp-send` (a file to a socket), `dev-tcp-fetch`.
   */
  readonly intents: readonly string[];
}

const HOME_PREFIX = /^(~[A-Za-z0-9_.-]*|\$HOME|\$\{HOME\}|\/root|\/home\/[^/]+|\/tmp\/home)(?=\/|$)/;
const GLOB = /[*?[]/;
const NETWORK_TOOLS = new Set(['nc', 'ncat', 'netcat', 'nc.traditional', 'nc.openbsd', 'telnet', 'socat', 'openssl', 'cryptcat', 'pwncat', 'sbd']);
const DOWNLOADERS = new Set(['curl', 'wget', 'fetch', 'aria2c', 'lwp-download', 'lwp-request', 'GET', 'http', 'xh']);
const SENDERS = new Set(['cat', 'tar', 'dd', 'base64', 'gzip', 'xxd', 'od', 'zip', 'openssl', 'bzip2', 'xz', 'head', 'tail']);
const NETCAT = new Set(['nc', 'ncat', 'netcat', 'nc.traditional', 'nc.openbsd']);

/**
 * A path as rules see it: quotes gone (the parser took them), the home directory as `~` however
 * spelt, unknown variables as `*`, `//`, `/./` and `..` resolved; relative paths joined to `cwd`
 * when known. Null for what is not a path (an option, a URL, a word without a slash).
 */
export function normalisePath(raw: string, cwd?: string): string | null {
  let s = raw;
  const eq = /^-{1,2}[A-Za-z0-9-]+=|^[a-z]+=(?=[~/$.])/.exec(s); // --file=/x, if=/etc/shadow
  if (eq) s = s.slice(eq[0].length);
  const remote = /^[A-Za-z0-9_.@-]+:(?=[~/])/.exec(s); // host:~/.ssh/id_rsa (scp, rsync)
  if (remote && !s.includes('://')) s = s.slice(remote[0].length);
  if (s.includes('://') || s.startsWith('-') || /[\s'"();|&<>]/.test(s)) return null;
  if (!s.includes('/') && !s.startsWith('~') && !s.startsWith('.')) return null;
  s = s.replace(HOME_PREFIX, '~');
  // any other variable or substitution is unknown here: a wildcard
  s = s.replace(/\$\{[^}]*\}|\$\([^)]*\)|\$[A-Za-z_][A-Za-z0-9_]*|`[^`]*`/g, '*');
  if (s === '') return null;
  if (!s.startsWith('/') && !s.startsWith('~') && cwd !== undefined && (cwd.startsWith('/') || cwd.startsWith('~'))) {
    const base = cwd.replace(HOME_PREFIX, '~');
    s = `${base}/${s}`;
  }
  const home = s.startsWith('~');
  let out = posix.normalize(home ? `/${s.slice(1)}` : s);
  if (out.length > 1 && out.endsWith('/')) out = out.slice(0, -1);
  if (home) out = out === '/' ? '~' : `~${out}`;
  else if (s.startsWith('//')) out = out.replace(/^\/+/, '/');
  return out;
}

/** A glob as a regular expression over whole paths (`*` and `?` stop at a slash, `[...]` a class). */
function globRegex(glob: string): RegExp {
  let re = '';
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i] ?? '';
    if (c === '*') re += glob[i + 1] === '*' ? (i++, '.*') : '[^/]*';
    else if (c === '?') re += '[^/]';
    else if (c === '[') {
      const end = glob.indexOf(']', i + 2);
      if (end < 0) re += '\\[';
      else {
        const body = glob.slice(i + 1, end).replace(/^!/, '^').replace(/\\/g, '\\\\');
        re += `[${body}]`;
        i = end;
      }
    } else re += c.replace(/[.+^${}()|\\/]/g, '\\$&');
  }
  return new RegExp(`^${re}$`);
}

/** The path, and for a glob the probe paths it names. */
function expandPath(path: string, probes: readonly string[]): string[] {
  if (!GLOB.test(path)) return [path];
  let re: RegExp;
  try {
    re = globRegex(path);
  } catch {
    return [path];
  }
  return [path, ...probes.filter((p) => re.test(p))];
}

function wordText(w: Word): string {
  // a computed word as written, its quotes dropped: "$HOME"/.zprofile reads $HOME/.zprofile
  return w.value ?? w.source.replace(/["']/g, '');
}

/** String literals of interpreter code that look like paths: open('/root/.ssh/id_rsa'). */
function codePaths(code: string): string[] {
  const found: string[] = [];
  for (const m of code.matchAll(/(["'`])((?:~|\/|\$HOME|\.\.?\/)[^"'`\s]*)\1/g)) if (m[2] !== undefined) found.push(m[2]);
  // os.path.expanduser('~/.aws/credentials'), Path.home() / '.ssh' / 'id_rsa'
  for (const m of code.matchAll(/home\(\)\s*\/\s*["']([^"']+)["']((?:\s*\/\s*["'][^"']+["'])*)/g)) {
    const rest = [...(m[2] ?? '').matchAll(/["']([^"']+)["']/g)].map((x) => x[1]);
    found.push(['~', m[1], ...rest].join('/'));
  }
  return found;
}

function isDevTcp(path: string | null): boolean {
  return path !== null && /^\/dev\/(tcp|udp)\/[^/]+\/[^/]+$/.test(path) && !/^\/dev\/(tcp|udp)\/(localhost|127\.[0-9.]+|::1)\//.test(path);
}

/** A shell or interpreter: something that runs commands it reads. */
function runsCommands(program: string): boolean {
  return isShell(program) || /^(python[0-9.]*|perl|ruby|php[0-9.]*|node|lua[0-9.]*|tclsh|expect)$/.test(programBasename(program));
}

/** A shell or interpreter that takes its program from stdin: `sh`, `bash -s`, `python3 -`, `perl`; not `python3 -m json.tool`. */
function readsProgramFromStdin(c: SimpleCommand): boolean {
  if (isShell(c.program)) return unwrap(c.argv).kind === 'stdin-script';
  if (!runsCommands(c.program)) return false;
  for (const w of c.argv.slice(1)) {
    const v = w.value ?? '';
    if (v === '-') return true;
    if (/^-[cemrE]$|^--(eval|print)/.test(v) || /^-[cemrE]./.test(v)) return false;
    if (!v.startsWith('-')) return false;
  }
  return true;
}

function downloadLanguage(program: string): string {
  const name = programBasename(program);
  if (isShell(name)) return 'shell';
  if (/^python/.test(name)) return 'python';
  if (/^(node|nodejs|bun|deno)$/.test(name)) return 'node';
  if (/^lua/.test(name)) return 'lua';
  if (/^perl/.test(name)) return 'perl';
  if (/^ruby/.test(name)) return 'ruby';
  if (/^php/.test(name)) return 'php';
  return name;
}

export function commandText(analysis: ShellAnalysis, options: CommandTextOptions = {}): CommandText {
  const programs = new Set<string>();
  const lines: string[] = [];
  const paths = new Set<string>();
  const intents = new Set<string>();
  const probes = options.probePaths ?? [];
  const cwdAt = new Map<number, string | undefined>([[0, options.cwd]]);
  let devTcpFd = false;
  // paths a command names that its words do not show as such (glob matches, paths in its code)
  let hidden: string[] = [];
  const addPath = (raw: string, cwd: string | undefined): string | null => {
    const p = normalisePath(raw, cwd);
    if (p !== null) {
      const expanded = expandPath(p, probes);
      for (const x of expanded) paths.add(x);
      hidden.push(...expanded.slice(1));
    }
    // a bare file name is a path in the working directory, when that is known (cd ~/.ssh; cat id_rsa)
    else if (cwd !== undefined && /^[\w@+][\w.@+*?-]*$/.test(raw)) {
      const inCwd = expandPath(normalisePath(`./${raw}`, cwd) ?? raw, probes);
      for (const x of inCwd) paths.add(x);
      // shown after the command where a cd moved it, or where it names a path that matters
      if (cwd !== options.cwd) hidden.push(...inCwd);
      else hidden.push(...inCwd.filter((x) => probes.includes(x)));
    }
    return p;
  };
  for (const c of analysis.commands) {
    const cwd = cwdAt.get(c.depth) ?? options.cwd;
    for (const w of c.wrappers) if (w[0]?.value) programs.add(programBasename(w[0].value));
    const name = programBasename(c.program);
    programs.add(name);
    // `cd DIR` moves the commands after it (at its depth); a computed one leaves the place unknown
    if (name === 'cd') {
      const to = c.argv[1];
      const dir = to === undefined ? '~' : wordText(to);
      cwdAt.set(c.depth, normalisePath(dir.includes('/') || dir.startsWith('~') ? dir : `./${dir}`, cwd) ?? undefined);
    }
    hidden = [];
    const script = unwrap(c.argv).kind === 'script';
    const rendered: string[] = [name];
    for (const w of c.argv.slice(1)) {
      const t = wordText(w);
      const p = script ? null : addPath(t, cwd);
      // an option or assignment keeps its name: --on-calendar=x, if=/etc/shadow
      rendered.push(p === null ? t : `${/^(-{1,2}[A-Za-z0-9-]+=|[a-z]+=)/.exec(t)?.[0] ?? ''}${p}`);
      if (script) break;
    }
    let tcpRead = false;
    let tcpWrite = false;
    let fileRead = false;
    let fileWrite = false;
    for (const r of c.redirects) {
      if (r.target === null || r.op === 'dup') continue;
      const p = addPath(wordText(r.target), cwd);
      if (p !== null && !p.startsWith('/dev/')) {
        if (r.op === 'read') fileRead = true;
        if (r.op === 'write' || r.op === 'append') fileWrite = true;
      }
      if (isDevTcp(p)) {
        if (r.op === 'read' || r.op === 'read-write') tcpRead = true;
        if (r.op !== 'read') tcpWrite = true;
        intents.add('dev-tcp');
        const reads = r.op === 'read' || r.op === 'read-write';
        intents.add(reads ? 'dev-tcp-read' : 'dev-tcp-write');
        if (name === 'exec') devTcpFd = true;
        else if (runsCommands(c.program)) intents.add('socket-exec:shell');
      }
    }
    const fdRead = devTcpFd && c.redirects.some((r) => r.op === 'dup' && /^[3-9]$/.test(r.target?.value ?? '')) && name !== 'exec';
    // a file sent to a socket (cat f > /dev/tcp/h/p), or a socket saved to a file: a transfer, not a probe
    if (tcpWrite && !runsCommands(c.program) && (fileRead || (SENDERS.has(name) && c.argv.length > 1))) intents.add('dev-tcp-send');
    if ((tcpRead || fdRead) && !runsCommands(c.program) && fileWrite) intents.add('dev-tcp-fetch');
    // a shell (or interpreter) whose streams are an fd an earlier `exec N<>/dev/tcp/...` opened
    if (devTcpFd && runsCommands(c.program) && c.redirects.some((r) => r.op === 'dup' && /^[3-9]$/.test(r.target?.value ?? ''))) intents.add('socket-exec:shell');
    const code = interpreterCode(c);
    if (code !== null) {
      for (const p of codePaths(code.code)) {
        const n = addPath(p, cwd);
        if (n !== null) hidden.push(n);
      }
      if (code.socket) intents.add(`socket:${code.language}`);
      if (code.socketExec) intents.add(`socket-exec:${code.language === 'awk' ? 'shell' : code.language}`);
      if (code.language === 'awk' && code.socket && !code.socketExec) intents.add('socket:awk');
    }
    lines.push([...rendered, ...hidden].join(' '));
    // fed from, or feeding, a network tool: nc host port | sh, sh -i 2>&1 | nc host port
    if (c.stdinFrom !== null) {
      const from = programBasename(c.stdinFrom);
      if (NETWORK_TOOLS.has(from) && runsCommands(c.program)) intents.add('socket-exec:shell');
      if (NETWORK_TOOLS.has(name) && runsCommands(from)) intents.add('socket-exec:shell');
      if (DOWNLOADERS.has(from) && readsProgramFromStdin(c)) intents.add(`download-exec:${downloadLanguage(c.program)}`);
    }
    if (NETCAT.has(name) && c.argv.some((w) => /^(-[A-Za-z0-9]*[ec]\S*|--(sh-|lua-)?exec(=.*)?)$/.test(w.value ?? ''))) intents.add('socket-exec:shell');
    if (name === 'socat' && c.argv.some((w) => /^(EXEC|SYSTEM):/i.test(w.value ?? ''))) intents.add('socket-exec:shell');
    if (name === 'ztcp' || name === 'zsocket') intents.add('socket:zsh');
  }
  // exec 5<>/dev/tcp/h/p; while read line; do $line >&5; done: commands read from the socket
  if (devTcpFd && analysis.unknown.some((u) => u.reason === 'computed program')) intents.add('socket-exec:shell');
  // zsh's own sockets: ztcp opens one, a shell then runs on its fd ($REPLY)
  if (intents.has('socket:zsh') && analysis.commands.some((c) => isShell(c.program) && c.redirects.some((r) => r.op === 'dup' && r.target?.value === null))) {
    intents.add('socket-exec:shell');
  }
  // sh -c "$(curl ...)", bash <(wget ...): the shell runs what a downloader printed
  for (const c of analysis.commands) {
    if (!runsCommands(c.program)) continue;
    const sources = c.argv.slice(1).map((w) => w.source).join(' ');
    if (/^\s*("?)\$\(\s*(curl|wget)\b|<\(\s*(curl|wget)\b/.test(sources) || /\$\(\s*(curl|wget)\b/.test(c.argv[2]?.source ?? '')) intents.add(`download-exec:${downloadLanguage(c.program)}`);
  }
  return { programs: [...programs], lines, paths: [...paths], intents: [...intents] };
}

/** The command text of one analysis's commands, for callers that hold a SimpleCommand list. */
export function commandsText(commands: readonly SimpleCommand[], options: CommandTextOptions = {}): CommandText {
  return commandText({ commands, unknown: [] }, options);
}
