// Starts `praetor serve` as its own process (the CLI's dist/cli/main.js, by path: the bench does
// not import the service) on a socket in a temporary folder, and waits for its ready line.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PraetorError } from '../core/errors.js';

/** The daemon's exit code when the host lacks what praetor needs (EX_UNAVAILABLE, cli/exit-codes.ts). */
const EXIT_UNAVAILABLE = 69;

export const PRAETOR_CLI = fileURLToPath(new URL('../cli/main.js', import.meta.url));
const READY_TIMEOUT_MS = 60_000;

export interface SpawnedDaemon {
  readonly pid: number;
  readonly dir: string;
  readonly socketPath: string;
  /** `http://127.0.0.1:PORT` when it was asked to listen on TCP, else null. */
  readonly url: string | null;
  /** Milliseconds from spawn to its ready line. */
  readonly startMs: number;
  stderr(): string;
  /** SIGTERM, wait for the exit, remove the folder; resolves to the exit code. */
  stop(): Promise<number | null>;
}

export interface DaemonSpawnOptions {
  readonly pool?: number;
  readonly guard?: string;
  /** Episode store URL; `memory:` when absent. `{dir}` is replaced by the daemon's folder. */
  readonly store?: string;
  readonly tcp?: boolean;
  readonly extraArgs?: readonly string[];
  /** A command that runs the daemon, e.g. `nsenter --net=/run/netns/NS` (it must exec it: the pid is the daemon's). */
  readonly wrap?: readonly string[];
  /** More environment for the daemon. */
  readonly env?: Readonly<Record<string, string>>;
}

export async function spawnPraetord(options: DaemonSpawnOptions = {}): Promise<SpawnedDaemon> {
  const dir = await mkdtemp(join(tmpdir(), 'praetord-'));
  const socketPath = join(dir, 'praetord.sock');
  const args = [PRAETOR_CLI, 'serve', '--socket', socketPath, '--keys', join(dir, 'keys.db'), '--store', (options.store ?? 'memory:').replace('{dir}', dir)];
  args.push('--pool', String(options.pool ?? 4), '--log-level', 'warn');
  if (options.tcp) args.push('--listen', '127.0.0.1:0');
  if (options.guard !== undefined) args.push('--guard', options.guard);
  args.push(...(options.extraArgs ?? []));
  const started = performance.now();
  // PRAETOR_BENCH_DAEMON_NODE_ARGS (e.g. `--cpu-prof --cpu-prof-dir=/tmp/prof`): node flags for the
  // daemon alone, to see where its time goes (NODE_OPTIONS refuses --cpu-prof).
  const nodeArgs = (process.env.PRAETOR_BENCH_DAEMON_NODE_ARGS ?? '').split(' ').filter((a) => a !== '');
  const [command, ...prefix] = [...(options.wrap ?? []), process.execPath];
  const child: ChildProcess = spawn(command, [...prefix, ...nodeArgs, ...args], {
    stdio: ['ignore', 'ignore', 'pipe'],
    ...(options.env !== undefined ? { env: { ...process.env, ...options.env } } : {}),
  });
  let stderr = '';
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const url = await new Promise<string | null>((resolve, reject) => {
    const timer = setTimeout(() => fail(new Error(`praetord not ready after ${READY_TIMEOUT_MS} ms: ${stderr.trim()}`)), READY_TIMEOUT_MS);
    const fail = (err: Error): void => {
      clearTimeout(timer);
      child.kill('SIGKILL');
      void rm(dir, { recursive: true, force: true });
      reject(err);
    };
    child.stderr?.on('data', (c: Buffer) => {
      stderr += c.toString();
      if (!/ready on /.test(stderr)) return;
      clearTimeout(timer);
      resolve(/(http:\/\/127\.0\.0\.1:\d+)/.exec(stderr)?.[1] ?? null);
    });
    void exited.then((code) => {
      // 69: this host can not run praetor (its one line says why): the bench says the same, with the same code.
      const line = stderr.trim().split('\n').at(-1)?.replace(/^praetor: /, '') ?? '';
      fail(code === EXIT_UNAVAILABLE ? new PraetorError('host-unsupported', line) : new Error(`praetord exited (${code}) before it was ready: ${stderr.trim()}`));
    });
  });
  const startMs = performance.now() - started;
  return {
    pid: child.pid ?? -1,
    dir,
    socketPath,
    url,
    startMs,
    stderr: () => stderr,
    stop: async () => {
      child.kill('SIGTERM');
      const code = await exited;
      await rm(dir, { recursive: true, force: true });
      return code;
    },
  };
}
