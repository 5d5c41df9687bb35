// The fleet's API keys in PostgreSQL: the same keys for every front and node, checked on each
// request (a revocation is seen by the very next one). Same hashing as the SQLite key store;
// salt and hash are stored as hex.
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { errorMessage, PraetorError } from '../../core/errors.js';
import { PostgresBridge } from '../../episode/store/postgres-bridge.js';
import { migrationStatements } from '../../episode/store/postgres-migrate.js';
import { parsePostgresUrl } from '../../episode/store/postgres-url.js';
import { digest, toKey, TOKEN, type ApiKey, type KeyBook, type KeyRow, type Quotas, type Scope } from '../key-store.js';
import { FLEET_MIGRATIONS } from './fleet-schema.js';

interface HexKeyRow extends Omit<KeyRow, 'salt' | 'hash'> {
  salt: string;
  hash: string;
}

function fromHex(row: HexKeyRow): KeyRow {
  return { ...row, salt: Buffer.from(row.salt, 'hex'), hash: Buffer.from(row.hash, 'hex') };
}

/** Whether the token proves a live key of `row`; compares against a decoy when there is none, so a miss costs what a hit does. */
export function checkToken(token: string, find: (id: string) => HexKeyRow | undefined, decoy: KeyRow): ApiKey | null {
  const m = TOKEN.exec(token);
  const found = m?.[1] !== undefined ? find(m[1]) : undefined;
  const row = found === undefined ? undefined : fromHex(found);
  const { salt, hash } = row ?? decoy;
  const same = timingSafeEqual(digest(salt, m?.[2] ?? ''), hash);
  return row && same && row.revoked_at === null ? toKey(row) : null;
}

export function decoyRow(): KeyRow {
  return { id: '', name: '', scope: 'read', quotas: '{}', salt: randomBytes(16), hash: randomBytes(32), created_at: 0, revoked_at: null };
}

export class PostgresKeyStore implements KeyBook {
  private readonly decoy = decoyRow();

  private constructor(private readonly db: PostgresBridge) {}

  static open(url: string): PostgresKeyStore {
    const target = parsePostgresUrl(url);
    const bridge = new PostgresBridge(target);
    try {
      bridge.runSync(migrationStatements('fleet', FLEET_MIGRATIONS));
    } catch (err) {
      bridge.close();
      throw new PraetorError('invalid-config', `cannot open the key store ${target.shown}: ${errorMessage(err)}`, { cause: err });
    }
    return new PostgresKeyStore(bridge);
  }

  create(input: { name: string; scope: Scope; quotas?: Quotas }): { key: ApiKey; token: string } {
    const id = randomBytes(6).toString('hex');
    const secret = randomBytes(32).toString('base64url');
    const salt = randomBytes(16);
    const createdAt = Date.now();
    const quotas = input.quotas ?? {};
    this.db.querySync('INSERT INTO api_keys (id, name, scope, quotas, salt, hash, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7)', [
      id,
      input.name,
      input.scope,
      JSON.stringify(quotas),
      salt.toString('hex'),
      digest(salt, secret).toString('hex'),
      createdAt,
    ]);
    return { key: { id, name: input.name, scope: input.scope, quotas, createdAt, revokedAt: null }, token: `pk_${id}_${secret}` };
  }

  list(): ApiKey[] {
    return this.db.querySync('SELECT * FROM api_keys ORDER BY created_at').map((r) => toKey(fromHex(r as unknown as HexKeyRow)));
  }

  get(id: string): ApiKey | null {
    const row = this.db.querySync('SELECT * FROM api_keys WHERE id = $1', [id])[0];
    return row ? toKey(fromHex(row as unknown as HexKeyRow)) : null;
  }

  revoke(id: string): boolean {
    return this.db.runSync([{ sql: 'UPDATE api_keys SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL', params: [Date.now(), id] }])[0]?.count === 1;
  }

  verify(token: string): ApiKey | null {
    return checkToken(token, (id) => this.db.querySync('SELECT * FROM api_keys WHERE id = $1', [id])[0] as HexKeyRow | undefined, this.decoy);
  }

  close(): void {
    this.db.close();
  }
}
