// A real praetord for client tests: `praetor serve` on a socket in a temporary folder and on a free
// loopback port, with its own key database and an in-memory episode store; keys are made with
// `praetor keys create`, as an operator would. Needs root (the daemon makes real sandboxes).
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

export const CLI = fileURLToPath(new URL('../cli/main.js', import.meta.url));
const READY_TIMEOUT_MS = 60_000;
const execFileAsync = promisify(execFile);

export interface KeyOptions {
  readonly scope: 'admin' | 'sandboxes' | 'envs' | 'read';
  readonly maxSandboxes?: number;
}

export interface PraetordProcess {
  readonly dir: string;
  readonly socketPath: string;
  /** `http://127.0.0.1:PORT` */
  readonly url: string;
  readonly keysPath: string;
  /** A new key of that scope (the token, shown once). */
  createKey(name: string, options: KeyOptions): Promise<{ id: string; key: string }>;
  /** SIGTERM, then waits for the exit; resolves to its exit code. */
  stop(): Promise<number | null>;
  /** What the daemon wrote on stderr so far (its ready line, errors). */
  stderr(): string;
}

export async function startPraetord(options: { pool?: number; guard?: string; extraArgs?: readonly string[] } = {}): Promise<PraetordProcess> {
  const dir = await mkdtemp(join(tmpdir(), 'praetord-test-'));
  const socketPath = join(dir, 'praetord.sock');
  const keysPath = join(dir, 'keys.db');
  const args = [CLI, 'serve', '--socket', socketPath, '--listen', '127.0.0.1:0', '--keys', keysPath, '--store', 'memory:', '--pool', String(options.pool ?? 1), '--log-level', 'warn'];
  if (options.guard !== undefined) args.push('--guard', options.guard);
  args.push(...(options.extraArgs ?? []));
  const child: ChildProcess = spawn(process.execPath, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => fail(new Error(`praetord not ready after ${READY_TIMEOUT_MS} ms: ${stderr}`)), READY_TIMEOUT_MS);
    const fail = (err: Error): void => {
      clearTimeout(timer);
      child.kill('SIGKILL');
      reject(err);
    };
    child.stderr?.on('data', (c: Buffer) => {
      stderr += c.toString();
      const m = /ready on .* and (http:\/\/127\.0\.0\.1:\d+)/.exec(stderr);
      if (m?.[1] !== undefined) {
        clearTimeout(timer);
        resolve(m[1]);
      }
    });
    child.once('exit', (code) => fail(new Error(`praetord exited (${code}) before it was ready: ${stderr}`)));
  });
  const exited = new Promise<number | null>((resolve) => {
    if (child.exitCode !== null) resolve(child.exitCode);
    else child.once('exit', (code) => resolve(code));
  });
  return {
    dir,
    socketPath,
    url,
    keysPath,
    createKey: async (name, key) => {
      const flags = ['keys', 'create', '--keys', keysPath, '--json', '--name', name, '--scope', key.scope];
      if (key.maxSandboxes !== undefined) flags.push('--max-sandboxes', String(key.maxSandboxes));
      const { stdout } = await execFileAsync(process.execPath, [CLI, ...flags]);
      const created = JSON.parse(stdout) as { id: string; key: string };
      return { id: created.id, key: created.key };
    },
    stop: async () => {
      child.kill('SIGTERM');
      const code = await exited;
      await rm(dir, { recursive: true, force: true });
      return code;
    },
    stderr: () => stderr,
  };
}
