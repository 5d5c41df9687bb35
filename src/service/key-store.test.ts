// API keys: hashed at rest, verified in constant time, revocable; the database file is 0600.
import { it } from 'node:test';
import * as assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KeyStore } from './key-store.js';

function withStore(fn: (store: KeyStore, path: string) => void): void {
  const dir = mkdtempSync(join(tmpdir(), 'praetor-keys-'));
  const path = join(dir, 'sub', 'keys.db');
  const store = new KeyStore(path);
  try {
    fn(store, path);
  } finally {
    store.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

it('a created key verifies; a changed secret, another id or a malformed token do not', () => {
  withStore((store) => {
    const { key, token } = store.create({ name: 'trainer', scope: 'envs', quotas: { maxSandboxes: 3 } });
    assert.match(token, /^pk_[0-9a-f]{12}_[A-Za-z0-9_-]{43}$/);
    assert.deepEqual(store.verify(token), { ...key });
    assert.deepEqual(store.verify(token)?.quotas, { maxSandboxes: 3 });
    const last = token.at(-1) === 'A' ? 'B' : 'A';
    assert.equal(store.verify(token.slice(0, -1) + last), null);
    const other = store.create({ name: 'x', scope: 'read' });
    assert.equal(store.verify(`pk_${other.key.id}_${token.split('_').slice(2).join('_')}`), null, 'a secret is bound to its own id');
    for (const bad of ['', 'pk_', token.slice(0, -1), `${token}x`, token.toUpperCase(), `Bearer ${token}`]) assert.equal(store.verify(bad), null, bad);
  });
});

it('the secret is never stored, and the database file is readable by its owner only', () => {
  withStore((store, path) => {
    const { token } = store.create({ name: 'a', scope: 'admin' });
    store.close();
    const raw = readFileSync(path);
    const secret = token.split('_').slice(2).join('_');
    assert.equal(raw.includes(Buffer.from(secret)), false);
    assert.equal(statSync(path).mode & 0o777, 0o600);
    assert.equal(statSync(join(path, '..')).mode & 0o777, 0o700);
  });
});

it('revoke takes effect at once and only once; list shows revoked keys without secrets', () => {
  withStore((store) => {
    const a = store.create({ name: 'a', scope: 'sandboxes' });
    const b = store.create({ name: 'b', scope: 'read' });
    assert.equal(store.revoke(a.key.id), true);
    assert.equal(store.revoke(a.key.id), false);
    assert.equal(store.revoke('000000000000'), false);
    assert.equal(store.verify(a.token), null);
    assert.notEqual(store.verify(b.token), null);
    const listed = store.list();
    assert.deepEqual(
      listed.map((k) => [k.name, k.revokedAt !== null]),
      [
        ['a', true],
        ['b', false],
      ],
    );
    assert.equal(JSON.stringify(listed).includes(a.token), false);
  });
});
