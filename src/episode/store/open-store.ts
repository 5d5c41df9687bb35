// The one place an episode store is chosen: the implementation is picked from a URL.
import { PraetorError } from '../../core/errors.js';
import type { EpisodeStore, EpisodeStoreOptions } from './episode-store.js';
import { openMemoryStore } from './memory-store.js';
import { openSqliteStore } from './sqlite-store.js';

const ACCEPTED_URLS = 'sqlite:/path/to.db, sqlite::memory: or memory:';

/**
 * `sqlite:/path/to.db`, `sqlite:///path/to.db`, `sqlite::memory:`, and `memory:` (no native module
 * needed, keeps nothing past the process); postgres is planned.
 */
export function openEpisodeStore(url: string, options: EpisodeStoreOptions = {}): EpisodeStore {
  if (url === 'memory:') return openMemoryStore(options);
  if (url.startsWith('sqlite:')) {
    const rest = url.slice('sqlite:'.length);
    const path = rest.startsWith('//') ? rest.slice(2) : rest;
    if (path === '') throw new PraetorError('invalid-config', `episode store URL "${url}" names no file (expected ${ACCEPTED_URLS})`);
    return openSqliteStore(path, options);
  }
  if (url.startsWith('postgres://') || url.startsWith('postgresql://')) {
    throw new PraetorError(
      'invalid-config',
      `the PostgreSQL episode store is not implemented yet (see the open issue "episode store: PostgreSQL backend"); use ${ACCEPTED_URLS}`,
    );
  }
  throw new PraetorError('invalid-config', `unknown episode store URL "${url}": expected ${ACCEPTED_URLS}`);
}
