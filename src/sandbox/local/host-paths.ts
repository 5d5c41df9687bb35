// Where the local backend keeps its state and finds its native helper.
import { existsSync } from 'node:fs';
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
