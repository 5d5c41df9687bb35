// The one place an episode store is chosen: the implementation is picked from a URL.
import { PraetorError } from '../../core/errors.js';
import type { EpisodeStore, EpisodeStoreOptions } from './episode-store.js';
import { openMemoryStore } from './memory-store.js';
import { openSqliteStore } from './sqlite-store.js';
import { openPostgresStore } from './postgres-store.js';
import { isPostgresUrl } from './postgres-url.js';

const ACCEPTED_URLS = 'sqlite:/path/to.db, sqlite::memory:, memory: or postgres://user@host/db';

/**
 * `sqlite:/path/to.db`, `sqlite:///path/to.db`, `sqlite::memory:`, and `memory:` (no native module
 * needed, keeps nothing past the process), and `postgres://user:pass@host:port/db` (`?host=/dir`
 * for a unix socket directory) for a store several praetors share.
 */
export function openEpisodeStore(url: string, options: EpisodeStoreOptions = {}): EpisodeStore {
  if (url === 'memory:') return openMemoryStore(options);
  if (url.startsWith('sqlite:')) {
    const rest = url.slice('sqlite:'.length);
    const path = rest.startsWith('//') ? rest.slice(2) : rest;
    if (path === '') throw new PraetorError('invalid-config', `episode store URL "${url}" names no file (expected ${ACCEPTED_URLS})`);
    return openSqliteStore(path, options);
  }
  if (isPostgresUrl(url)) return openPostgresStore(url, options);
  throw new PraetorError('invalid-config', `unknown episode store URL "${url}": expected ${ACCEPTED_URLS}`);
}
