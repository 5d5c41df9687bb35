// Opening the episode store for a CLI command: where it lives, and the crash recovery every
// start does (sandboxes of dead praetors removed, their episodes marked aborted).
import { collectGarbage } from '../sandbox/local/gc.js';
import { defaultHostPaths } from '../sandbox/local/host-paths.js';
import { type EpisodeStore } from '../episode/store/episode-store.js';
import { openEpisodeStore } from '../episode/store/open-store.js';
import { PraetorError } from '../core/errors.js';
import { CliFileError, systemReason } from './cli-errors.js';

export const DEFAULT_STORE = 'sqlite:/var/lib/praetor/episodes.db';

export function storeUrl(flag: string | undefined): string {
  return flag ?? process.env.PRAETOR_STORE ?? DEFAULT_STORE;
}

export interface OpenedStore {
  readonly store: EpisodeStore;
  /** Episodes a dead praetor left running, now marked aborted. */
  readonly aborted: string[];
}

/**
 * Opens the store after removing what dead praetor processes left behind. Episodes whose sandbox
 * belongs to a live praetor are left running: they are not ours to call aborted.
 */
export async function openStoreWithRecovery(flag: string | undefined): Promise<OpenedStore> {
  const report = await collectGarbage(defaultHostPaths());
  const store = openStore(storeUrl(flag));
  const aborted = store.markRunningAsAborted('praetor stopped before the episode ended', report.live);
  return { store, aborted };
}

/** The store, or one line on why it can not be opened (a missing directory, a file that is no database). */
export function openStore(url: string): EpisodeStore {
  try {
    return openEpisodeStore(url);
  } catch (err) {
    if (err instanceof PraetorError) throw err;
    throw new CliFileError('output', url, systemReason(err), { cause: err });
  }
}
