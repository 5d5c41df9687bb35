// The one place a key store is chosen: a file path is the SQLite key database of one daemon; a
// postgres:// URL is the fleet's, shared by every front and node.
import { isPostgresUrl } from '../episode/store/postgres-url.js';
import { KeyStore, type KeyBook } from './key-store.js';
import { PostgresKeyStore } from './fleet/postgres-keys.js';

export function openKeyBook(pathOrUrl: string): KeyBook {
  return isPostgresUrl(pathOrUrl) ? PostgresKeyStore.open(pathOrUrl) : new KeyStore(pathOrUrl);
}
