// API keys: created once (the secret is shown then and never stored), kept in SQLite as a salted
// SHA-256, checked in constant time. Revocation is a row update, seen by the very next request.
//
// Why SHA-256 and not scrypt: a key's secret is 256 random bits, not a password a person chose.
// A slow KDF protects low-entropy secrets from guessing; against 2^256 it adds nothing, while
// costing tens of milliseconds on every request. The per-key salt keeps equal secrets (there are
// none) and precomputed tables out of the picture all the same.
import Database from 'better-sqlite3';
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { closeSync, mkdirSync, openSync, existsSync, chmodSync } from 'node:fs';
import { dirname } from 'node:path';
import { z } from 'zod';
import { parseSize } from '../sandbox/backend.js';

export const SCOPES = ['admin', 'sandboxes', 'envs', 'read'] as const;
export type Scope = (typeof SCOPES)[number];

const memorySize = z.union([z.string(), z.number()]).transform((value, ctx) => {
  const bytes = parseSize(value);
  if (bytes === null) {
    ctx.addIssue({ code: 'custom', message: `not a size: ${String(value)} (use e.g. 512m, 8g)` });
    return z.NEVER;
  }
  return bytes;
});

export const QuotasSchema = z.strictObject({
  maxSandboxes: z.number().int().min(0).max(1_000_000).optional().describe('Live sandboxes (and environments with an episode) at once.'),
  maxCpus: z.number().positive().max(1_000_000).optional().describe('Sum of the CPU quotas of its live sandboxes.'),
  maxMemoryBytes: memorySize.optional().describe('Sum of the memory limits of its live sandboxes (bytes, or a size such as 64g).'),
});
export type Quotas = z.infer<typeof QuotasSchema>;

export interface ApiKey {
  readonly id: string;
  readonly name: string;
  readonly scope: Scope;
  readonly quotas: Quotas;
  readonly createdAt: number;
  readonly revokedAt: number | null;
}

export const TOKEN = /^pk_([0-9a-f]{12})_([A-Za-z0-9_-]{43})$/;
const SCHEMA = `CREATE TABLE IF NOT EXISTS api_keys (
  id TEXT PRIMARY KEY, name TEXT NOT NULL, scope TEXT NOT NULL, quotas TEXT NOT NULL,
  salt BLOB NOT NULL, hash BLOB NOT NULL, created_at INTEGER NOT NULL, revoked_at INTEGER)`;

export interface KeyRow {
  id: string;
  name: string;
  scope: string;
  quotas: string;
  salt: Buffer;
  hash: Buffer;
  created_at: number;
  revoked_at: number | null;
}

export function digest(salt: Buffer, secret: string): Buffer {
  return createHash('sha256').update(salt).update(secret).digest();
}

export function toKey(row: KeyRow): ApiKey {
  const scope = (SCOPES as readonly string[]).includes(row.scope) ? (row.scope as Scope) : 'read';
  const quotas = QuotasSchema.safeParse(JSON.parse(row.quotas));
  return { id: row.id, name: row.name, scope, quotas: quotas.success ? quotas.data : { maxSandboxes: 0 }, createdAt: row.created_at, revokedAt: row.revoked_at };
}

/** What the service needs of a key store: this SQLite one, or the fleet's in PostgreSQL (fleet/postgres-keys.ts). */
export type KeyBook = Pick<KeyStore, 'create' | 'list' | 'get' | 'revoke' | 'verify' | 'close'>;

export class KeyStore {
  private readonly db: Database.Database;
  /** Compared against when a token names no key, so a miss costs what a hit does. */
  private readonly decoy = { salt: randomBytes(16), hash: randomBytes(32) };

  /** Opens (creating, mode 0600 in a 0700 directory when new) the key database at `path`. */
  constructor(path: string) {
    if (path !== ':memory:') {
      mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
      if (!existsSync(path)) closeSync(openSync(path, 'a', 0o600));
      chmodSync(path, 0o600); // SQLite gives its journal the database file's mode
    }
    this.db = new Database(path);
    this.db.pragma('busy_timeout = 2000');
    this.db.exec(SCHEMA);
  }

  /** A new key; `token` is the only copy of its secret. */
  create(input: { name: string; scope: Scope; quotas?: Quotas }): { key: ApiKey; token: string } {
    const id = randomBytes(6).toString('hex');
    const secret = randomBytes(32).toString('base64url');
    const salt = randomBytes(16);
    const createdAt = Date.now();
    const quotas = input.quotas ?? {};
    this.db
      .prepare('INSERT INTO api_keys (id, name, scope, quotas, salt, hash, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)')
      .run(id, input.name, input.scope, JSON.stringify(quotas), salt, digest(salt, secret), createdAt);
    return { key: { id, name: input.name, scope: input.scope, quotas, createdAt, revokedAt: null }, token: `pk_${id}_${secret}` };
  }

  list(): ApiKey[] {
    return (this.db.prepare('SELECT * FROM api_keys ORDER BY created_at').all() as KeyRow[]).map(toKey);
  }

  get(id: string): ApiKey | null {
    const row = this.db.prepare('SELECT * FROM api_keys WHERE id = ?').get(id) as KeyRow | undefined;
    return row ? toKey(row) : null;
  }

  /** Whether a live key was revoked now. */
  revoke(id: string): boolean {
    return this.db.prepare('UPDATE api_keys SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL').run(Date.now(), id).changes > 0;
  }

  /** The live key a bearer token proves, or null. */
  verify(token: string): ApiKey | null {
    const m = TOKEN.exec(token);
    const row = m ? (this.db.prepare('SELECT * FROM api_keys WHERE id = ?').get(m[1]) as KeyRow | undefined) : undefined;
    const { salt, hash } = row ?? this.decoy;
    const same = timingSafeEqual(digest(salt, m?.[2] ?? ''), hash);
    return row && same && row.revoked_at === null ? toKey(row) : null;
  }

  close(): void {
    this.db.close();
  }
}
