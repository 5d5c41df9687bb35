// Where the local backend keeps its state and finds its native helper, and how private those places are.
import { existsSync } from 'node:fs';
import { chmod, mkdir } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { PraetorError } from '../../core/errors.js';

export interface HostPaths {
  /** Runtime state (records, slot claims, seccomp program): tmpfs, gone at reboot like netns and cgroups. */
  readonly stateDir: string;
  /** Sandbox workspaces and tmp directories. */
  readonly dataDir: string;
  readonly helperPath: string;
}

export function defaultHostPaths(env: NodeJS.ProcessEnv = process.env): HostPaths {
  return {
    stateDir: env.PRAETOR_STATE_DIR ?? '/run/praetor',
    dataDir: env.PRAETOR_DATA_DIR ?? '/var/lib/praetor',
    helperPath: env.PRAETOR_SPAWN ?? fileURLToPath(new URL('../../../native/build/praetor-spawn', import.meta.url)),
  };
}

export function requireHelper(paths: HostPaths): void {
  if (!existsSync(paths.helperPath)) {
    throw new PraetorError(
      'host-unsupported',
      `native helper not found at ${paths.helperPath}: run \`npm run build\` (it needs a C compiler)`,
    );
  }
}

/**
 * Where praetor keeps state and sandboxes, private to root: the state directory 0700; the data
 * directory and its sandboxes folder 0711 (root lists them, others may only pass through, which
 * the sandbox's own uid must do to reach its disk), the disk templates 0700.
 */
export async function preparePrivateDirs(paths: HostPaths): Promise<void> {
  const modes: [string, number][] = [
    [paths.stateDir, 0o700],
    [paths.dataDir, 0o711],
    [`${paths.dataDir}/sandboxes`, 0o711],
  ];
  for (const [dir, mode] of modes) {
    await mkdir(dir, { recursive: true, mode });
    // An older praetor made them 0755: tighten what is already there too.
    await chmod(dir, mode);
  }
}
