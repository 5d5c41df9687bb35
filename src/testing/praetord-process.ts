// A real praetord for client tests: `praetor serve` on a socket in a temporary folder and on a free
// loopback port, with its own key database and an in-memory episode store; keys are made with
// `praetor keys create`, as an operator would. Needs root (the daemon makes real sandboxes).
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { PRAETOR_CLI, spawnPraetord } from '../bench/praetord-spawn.js';

export const CLI = PRAETOR_CLI;
const execFileAsync = promisify(execFile);

export interface KeyOptions {
  readonly scope: 'admin' | 'sandboxes' | 'envs' | 'read';
  readonly maxSandboxes?: number;
}

export interface PraetordProcess {
  readonly socketPath: string;
  /** `http://127.0.0.1:PORT` */
  readonly url: string;
  /** A new key of that scope (the token, shown once). */
  createKey(name: string, options: KeyOptions): Promise<{ id: string; key: string }>;
  /** SIGTERM, then waits for the exit; resolves to its exit code. */
  stop(): Promise<number | null>;
  /** What the daemon wrote on stderr so far (its ready line, errors). */
  stderr(): string;
}

export async function startPraetord(options: { pool?: number; guard?: string } = {}): Promise<PraetordProcess> {
  const daemon = await spawnPraetord({ pool: options.pool ?? 1, tcp: true, ...(options.guard !== undefined ? { guard: options.guard } : {}) });
  if (daemon.url === null) throw new Error(`praetord gave no TCP address: ${daemon.stderr()}`);
  const keysPath = join(daemon.dir, 'keys.db');
  return {
    socketPath: daemon.socketPath,
    url: daemon.url,
    createKey: async (name, key) => {
      const flags = ['keys', 'create', '--keys', keysPath, '--json', '--name', name, '--scope', key.scope];
      if (key.maxSandboxes !== undefined) flags.push('--max-sandboxes', String(key.maxSandboxes));
      const { stdout } = await execFileAsync(process.execPath, [PRAETOR_CLI, ...flags]);
      const created = JSON.parse(stdout) as { id: string; key: string };
      return { id: created.id, key: created.key };
    },
    stop: () => daemon.stop(),
    stderr: () => daemon.stderr(),
  };
}
