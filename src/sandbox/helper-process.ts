// Starts one of praetor's long-lived native helpers (the process monitor, the file monitor, the
// denial reader) so that neither it nor its pipes keep praetor alive: it dies with praetor
// (PDEATHSIG, stdin EOF). Each speaks lines on stdout, announces itself with a ready line and says
// why it failed on stderr; startLineHelper is that protocol's start-up, written once. Hand-written:
// it is a few listeners on node's readline, no library does this particular hand-shake.
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { createInterface } from 'node:readline';
import { PraetorError } from '../core/errors.js';

function spawnHelper(path: string, args: readonly string[]): ChildProcessWithoutNullStreams {
  const child = spawn(path, args, { stdio: ['pipe', 'pipe', 'pipe'] });
  child.unref();
  for (const s of [child.stdin, child.stdout, child.stderr]) (s as unknown as { unref?: () => void }).unref?.();
  child.stdin.on('error', () => undefined); // a dead helper is reported through 'close'
  return child;
}

export type Parsed<L> = { readonly ok: true; readonly line: L } | { readonly ok: false; readonly error: string };

export interface LineHelperSpec<L> {
  readonly path: string;
  readonly args: readonly string[];
  /** Who failed to start, in the error: `process monitor`, `denial reader`. */
  readonly what: string;
  /** Prefix of its stderr lines and of bad lines reported once it runs: `procmon`, `praetor-nflog`. */
  readonly tag: string;
  readonly readyTimeoutMs: number;
  /** What not answering in time means, in the error (default `not ready`). */
  readonly notReady?: string;
  readonly parse: (text: string) => Parsed<L>;
  /** Whether a line is the helper's ready announcement; the first one resolves the start. */
  readonly isReady: (line: L) => boolean;
  /** Called with the ready line before the start resolves. */
  readonly onReady?: (line: L) => void;
  /** Every well-formed line, the ready line included. */
  readonly onLine: (line: L) => void;
  /** Problems once it runs: its stderr, bad lines, errors of the child process. */
  readonly report: (message: string) => void;
  /** The helper ended after it was ready (not called when the start failed). */
  readonly onClose: (code: number | null, signal: NodeJS.Signals | null) => void;
  /** Exit codes before ready that mean something of their own (the message replaces the generic one). */
  readonly exitMessages?: Readonly<Record<number, string>>;
}

export interface LineHelper {
  readonly child: ChildProcessWithoutNullStreams;
  /** Resolves at the ready line; a failed start (timeout, exit, spawn error) kills it and rejects in one line. */
  readonly ready: Promise<void>;
}

export function startLineHelper<L>(spec: LineHelperSpec<L>): LineHelper {
  const child = spawnHelper(spec.path, spec.args);
  const ready = new Promise<void>((resolve, reject) => {
    let isReady = false;
    let settled = false;
    let stderr = '';
    const timer = setTimeout(() => fail(`${spec.notReady ?? 'not ready'} within ${spec.readyTimeoutMs} ms`), spec.readyTimeoutMs);
    const settle = (): boolean => {
      if (settled) return false;
      settled = true;
      clearTimeout(timer);
      return true;
    };
    const fail = (why: string, message?: string): void => {
      if (!settle()) return;
      child.kill('SIGKILL');
      reject(new PraetorError('host-unsupported', message ?? `${spec.what} failed to start: ${why}${stderr ? `: ${stderr.trim()}` : ''}`));
    };
    createInterface({ input: child.stderr, crlfDelay: Infinity }).on('line', (text) => {
      if (isReady) spec.report(`${spec.tag}: ${text}`);
      else stderr += `${text}\n`;
    });
    createInterface({ input: child.stdout, crlfDelay: Infinity }).on('line', (text) => {
      const parsed = spec.parse(text);
      if (!parsed.ok) return spec.report(`${spec.tag}: bad line (${parsed.error}): ${text.slice(0, 200)}`);
      if (!isReady && spec.isReady(parsed.line) && settle()) {
        isReady = true;
        spec.onReady?.(parsed.line);
        resolve();
      }
      spec.onLine(parsed.line);
    });
    child.on('error', (err) => (isReady ? spec.report(`${spec.tag}: ${err.message}`) : fail(err.message)));
    // 'close', not 'exit': its last words on stderr are read by then
    child.on('close', (code, signal) => {
      if (!isReady) return fail(`exited (${code ?? signal})`, code === null ? undefined : spec.exitMessages?.[code]);
      spec.onClose(code, signal);
    });
  });
  return { child, ready };
}
