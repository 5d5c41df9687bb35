// Interpreter one-liners (python -c, perl -e, ruby -e, php -r, node -e, lua -e, awk PROGRAM, or
// a here-document fed to one): where their code is, and whether it opens a network socket and
// hands it a process (a reverse or bind shell) in that language's idioms. Pure, on words.
// Written by hand: no library parses seven languages' one-liners in JavaScript; this is a scan
// for each language's socket and exec calls, not a parse, and says so in what it returns.
import { programBasename, type SimpleCommand, type Word } from './shell-types.js';

export type Language = 'python' | 'perl' | 'ruby' | 'php' | 'node' | 'lua' | 'awk';

interface LanguageSpec {
  readonly language: Language;
  /** Options whose next word (or attached rest) is code. */
  readonly codeFlags: readonly string[];
  /** Options whose next word is a value, not code. */
  readonly valued: readonly string[];
  /** A socket opened (connect or listen). */
  readonly socket: RegExp;
  /** The socket handed to a process: streams duplicated, a shell or command run. */
  readonly exec: RegExp;
}

const SHELL_NAME = String.raw`(/bin/|/usr/bin/)?(ba|da|z|k|a|c|tc)?sh\b`;

const SPECS: readonly LanguageSpec[] = [
  {
    language: 'python',
    codeFlags: ['-c'],
    valued: ['-m', '-W', '-X', '-Q'],
    socket: /\bsocket\s*\.\s*(socket|create_connection|create_server|fromfd|socketpair)\b|\bfrom\s+socket\s+import\b|\bcreate_connection\s*\(|\basyncio\.open_connection\b/,
    exec: new RegExp(String.raw`\bos\s*\.\s*dup2\b|\bpty\s*\.\s*spawn\b|\bfileno\s*\(\s*\)|\b(subprocess|os\.(system|popen|exec\w*|spawn\w*))\b[\s\S]*${SHELL_NAME}`),
  },
  {
    language: 'perl',
    codeFlags: ['-e', '-E'],
    valued: ['-I', '-x'],
    socket: /\bsocket\s*\(|IO::Socket|\buse\s+Socket\b|^-M(IO|Socket)\b/m,
    exec: new RegExp(String.raw`\bopen\s*\(?\s*STD(IN|OUT|ERR)\b|\bexec\b[\s\S]*${SHELL_NAME}|\bsystem\b[\s\S]*${SHELL_NAME}|fdopen`),
  },
  {
    language: 'ruby',
    codeFlags: ['-e'],
    valued: ['-I', '-C'],
    socket: /\b(TCPSocket|TCPServer|UDPSocket|UNIXSocket)\b|\bSocket\s*\.\s*(new|tcp|tcp_server_loop)\b|^-rsocket$/m,
    exec: new RegExp(String.raw`\b(exec|spawn|system)\b[\s\S]*${SHELL_NAME}|\bIO\s*\.\s*popen\b|\.fileno\b|\bto_i\b[\s\S]*[<>]&|%x|\`[^\`]*\``),
  },
  {
    language: 'php',
    codeFlags: ['-r'],
    valued: ['-c', '-d', '-z'],
    socket: /\b(p?fsockopen|stream_socket_(client|server)|socket_create(_listen)?)\s*\(/,
    exec: /\b(exec|shell_exec|system|passthru|proc_open|popen|pcntl_exec)\s*\(|`[^`]+`/,
  },
  {
    language: 'node',
    codeFlags: ['-e', '--eval', '-p', '--print'],
    valued: ['-r', '--require', '--import', '--loader'],
    socket: /\brequire\s*\(\s*['"](node:)?(net|dgram|tls)['"]\s*\)|\bnet\s*\.\s*(connect|createConnection|createServer|Socket)\b|\bnew\s+net\s*\.\s*Socket\b|\bimport\s*\(\s*['"](node:)?net['"]/,
    exec: /child_process|\b(spawn|exec|execSync|spawnSync|execFile)\s*\(/,
  },
  {
    language: 'lua',
    codeFlags: ['-e'],
    valued: ['-l'],
    socket: /\brequire\s*\(?\s*['"]socket(\.core)?['"]|\bsocket\s*\.\s*(tcp|udp|connect|bind)\b/,
    exec: /\bio\s*\.\s*popen\b|\bos\s*\.\s*execute\b/,
  },
  {
    language: 'awk',
    codeFlags: [],
    valued: ['-F', '-v', '-f', '--field-separator', '--assign', '--file'],
    socket: /\/inet[46]?\/(tcp|udp)\//,
    // a command run through a pipe or system(); `s |& getline` alone is reading the socket
    exec: /\bsystem\s*\(|\|\s*getline|\|&\s*getline[\s\S]*\|&\s*getline|\bclose\s*\(\s*\w+\s*\)[\s\S]*\|&/,
  },
];

function languageOf(program: string): LanguageSpec | undefined {
  const name = programBasename(program);
  const lang: Language | null = /^python[0-9.]*$|^pypy[0-9.]*$/.test(name)
    ? 'python'
    : /^perl[0-9.]*$/.test(name)
      ? 'perl'
      : /^ruby[0-9.]*$|^jruby$/.test(name)
        ? 'ruby'
        : /^php[0-9.]*(-cli)?$/.test(name)
          ? 'php'
          : /^(node|nodejs|bun|deno)$/.test(name)
            ? 'node'
            : /^(lua[0-9.]*|luajit)$/.test(name)
              ? 'lua'
              : /^(g|m|n|busybox-)?awk$/.test(name)
                ? 'awk'
                : null;
  return lang === null ? undefined : SPECS.find((s) => s.language === lang);
}

/** The text of a word as far as it is known: its value, else its source. */
function text(word: Word | undefined): string {
  return word === undefined ? '' : (word.value ?? word.source);
}

export interface InterpreterCode {
  readonly language: Language;
  /** Every piece of code the command runs, as far as it is known (computed parts as written). */
  readonly code: string;
  readonly socket: boolean;
  /** A socket and a process given to it: a reverse or bind shell in this language. */
  readonly socketExec: boolean;
}

/** The code an interpreter command runs from its command line or a here-document; null when it is not one. */
export function interpreterCode(command: SimpleCommand): InterpreterCode | null {
  const spec = languageOf(command.program);
  if (spec === undefined) return null;
  const argv = command.argv;
  const pieces: string[] = [];
  // module and library flags count as code (perl -MIO::Socket, ruby -rsocket)
  const flags: string[] = [];
  let i = 1;
  let sawProgramFile = false;
  for (; i < argv.length; i++) {
    const v = text(argv[i]);
    if (v === '--') {
      i++;
      break;
    }
    const attached = spec.codeFlags.find((f) => f.length === 2 && v.startsWith(f) && v.length > 2);
    if (spec.codeFlags.includes(v)) {
      pieces.push(text(argv[i + 1]));
      i++;
      if (spec.language === 'python') break; // python -c CODE: the rest are sys.argv
      continue;
    }
    if (attached !== undefined) {
      pieces.push(v.slice(2));
      if (spec.language === 'python') break;
      continue;
    }
    if (spec.valued.includes(v)) {
      if (v === '-f' || v === '--file') sawProgramFile = true;
      i++;
      continue;
    }
    if (v.startsWith('--eval=') || v.startsWith('--print=')) {
      pieces.push(v.slice(v.indexOf('=') + 1));
      continue;
    }
    if (v.startsWith('-') && v !== '-') {
      flags.push(v);
      continue;
    }
    break;
  }
  // awk's program is its first operand, unless -f named a file; deno eval CODE
  if (spec.language === 'awk' && pieces.length === 0 && !sawProgramFile && i < argv.length) pieces.push(text(argv[i]));
  if (programBasename(command.program) === 'deno' && text(argv[1]) === 'eval') pieces.push(text(argv[2]));
  // python - <<EOF, perl <<EOF, node <<EOF: the here-document is the program when no file is named
  const stdin = command.stdinText;
  const namesFile = i < argv.length && text(argv[i]) !== '-' && spec.language !== 'awk';
  if (pieces.length === 0 && !namesFile && stdin !== undefined && stdin !== null) pieces.push(text(stdin));
  if (pieces.length === 0 && flags.length === 0) return null;
  const code = [...flags, ...pieces].join('\n');
  const socket = spec.socket.test(code);
  return { language: spec.language, code, socket, socketExec: socket && spec.exec.test(code) };
}
