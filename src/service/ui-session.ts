// Dashboard logins: a browser logs in once with an API key and gets a random session token in an
// http-only, SameSite=Strict cookie. The cookie is not the key: the daemon keeps SHA-256(token) ->
// key id in memory, so a stolen cookie dies with logout, expiry or a restart, never reveals the key,
// and a revoked key ends its sessions on the next request (the key is read again each time).
import { createHash, randomBytes } from 'node:crypto';
import type { ApiKey, KeyBook } from './key-store.js';

export const UI_COOKIE = 'praetor_ui';
/** Header every state-changing dashboard request carries: a cross-site form can not set it. */
export const UI_HEADER = 'x-praetor-ui';
export const DEFAULT_SESSION_MS = 12 * 3600 * 1000;
const MAX_SESSIONS = 10_000;

interface Session {
  readonly keyId: string;
  readonly expires: number;
}

const digest = (token: string): string => createHash('sha256').update(token).digest('hex');

export class UiSessions {
  private readonly sessions = new Map<string, Session>();

  constructor(
    private readonly keys: KeyBook,
    private readonly ttlMs = DEFAULT_SESSION_MS,
    private readonly now: () => number = Date.now,
  ) {}

  /** A new session for a valid key token; null when the key is unknown or revoked. */
  login(keyToken: string): { token: string; key: ApiKey; maxAgeSeconds: number } | null {
    const key = this.keys.verify(keyToken);
    if (key === null) return null;
    this.prune();
    // Bounded: the oldest session gives way (a Map iterates in insertion order).
    if (this.sessions.size >= MAX_SESSIONS) this.sessions.delete(this.sessions.keys().next().value ?? '');
    const token = randomBytes(32).toString('base64url');
    this.sessions.set(digest(token), { keyId: key.id, expires: this.now() + this.ttlMs });
    return { token, key, maxAgeSeconds: Math.floor(this.ttlMs / 1000) };
  }

  /** The live key behind a session token, or null (unknown, expired, or its key revoked). */
  verify(token: string): ApiKey | null {
    const id = digest(token);
    const session = this.sessions.get(id);
    if (!session) return null;
    const key = session.expires > this.now() ? this.keys.get(session.keyId) : null;
    if (key === null || key.revokedAt !== null) {
      this.sessions.delete(id);
      return null;
    }
    return key;
  }

  logout(token: string): void {
    this.sessions.delete(digest(token));
  }

  get size(): number {
    return this.sessions.size;
  }

  private prune(): void {
    const now = this.now();
    for (const [id, s] of this.sessions) if (s.expires <= now) this.sessions.delete(id);
  }
}
