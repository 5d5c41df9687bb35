// The SQLite store: the conformance suite in memory and on a file (crash included), plus what only
// SQLite has: pragmas, schema versions, and corrupt rows reported instead of breaking a listing.
import * as assert from 'node:assert/strict';
import { chmodSync, existsSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { PraetorError } from '../../core/errors.js';
import { makeEpisode, toolStep } from '../episode-fixtures.js';
import { SQLITE_MIGRATIONS } from './sqlite-schema.js';
import { isMissingAddon, openSqliteStore } from './sqlite-store.js';
import { describeStoreConformance } from './store-conformance.js';

const dir = mkdtempSync(join(tmpdir(), 'praetor-episodes-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const freshPath = (): string => join(mkdtempSync(join(dir, 'store-')), 'episodes.db');

describeStoreConformance('sqlite :memory:', () => openSqliteStore(':memory:'));
describeStoreConformance('sqlite file', () => openSqliteStore(freshPath()), { freshUrl: () => `sqlite:${freshPath()}` });

describe('sqlite store', () => {
  it('opens in WAL mode at the latest schema version, with synchronous FULL or NORMAL', () => {
    for (const synchronous of ['full', 'normal'] as const) {
      const path = freshPath();
      const store = openSqliteStore(path, { synchronous });
      store.createEpisode(makeEpisode());
      store.close();
      const db = new Database(path, { readonly: true });
      try {
        assert.equal(db.pragma('journal_mode', { simple: true }), 'wal');
        assert.equal(db.pragma('user_version', { simple: true }), SQLITE_MIGRATIONS.length);
      } finally {
        db.close();
      }
    }
  });

  it('creates the folder of a new store file', () => {
    const folder = join(dir, 'nested', 'deeper');
    const path = join(folder, 'episodes.db');
    assert.equal(existsSync(folder), false);
    const store = openSqliteStore(path);
    store.createEpisode(makeEpisode({ id: 'ep-nested' }));
    store.close();
    assert.ok(statSync(folder).isDirectory());
    const again = openSqliteStore(path);
    try {
      assert.equal(again.getEpisode('ep-nested')?.id, 'ep-nested', 'the reopened file keeps the episode');
    } finally {
      again.close();
    }
  });

  it('keeps the store private to its owner: 0600 files in a 0700 folder, an older readable one tightened', () => {
    const path = join(dirname(freshPath()), 'private', 'episodes.db');
    const store = openSqliteStore(path);
    store.createEpisode(makeEpisode());
    for (const file of [path, `${path}-wal`, `${path}-shm`]) assert.equal(statSync(file).mode & 0o777, 0o600, file);
    assert.equal(statSync(dirname(path)).mode & 0o777, 0o700);
    store.close();
    chmodSync(path, 0o644);
    openSqliteStore(path).close();
    assert.equal(statSync(path).mode & 0o777, 0o600);
  });

  it('refuses a store written by a newer schema, and a file that is not a database', () => {
    const path = freshPath();
    openSqliteStore(path).close();
    const db = new Database(path);
    db.pragma(`user_version = ${SQLITE_MIGRATIONS.length + 1}`);
    db.close();
    assert.throws(() => openSqliteStore(path), (err: unknown) => err instanceof PraetorError && err.message.includes(`schema version ${SQLITE_MIGRATIONS.length + 1}; this praetor knows up to ${SQLITE_MIGRATIONS.length}`));
    const text = join(dir, 'notes.txt');
    writeFileSync(text, 'these are not the pages of a database, '.repeat(200));
    assert.throws(() => openSqliteStore(text), (err: unknown) => err instanceof PraetorError && /is not a database/.test(err.message));
  });

  it('migrates a version 2 store: its alerts name their episode step and turn, the exec step kept as sandboxStep', () => {
    const path = freshPath();
    const old = new Database(path);
    SQLITE_MIGRATIONS.slice(0, 2).forEach((sql) => old.exec(sql));
    old.pragma('user_version = 2');
    const episode = makeEpisode();
    old.prepare(
      `INSERT INTO episodes (id, task_id, sandbox_id, policy, status, started_at, ended_at, task, outcome, messages)
       VALUES ('ep-1', 'task-1', 'sb-1', 'scripted:file', 'completed', 1, 2, ?, NULL, NULL)`,
    ).run(JSON.stringify(episode.task));
    const insert = old.prepare(
      `INSERT INTO steps (episode_id, idx, turn, started_at, ended_at, message, action, observation, sandbox_steps, alerts)
       VALUES ('ep-1', ?, ?, 1, 2, 'text', NULL, 'null', '[]', ?)`,
    );
    const v2Alert = (id: string, step: number | null): string => JSON.stringify({ id, ruleId: 'r', technique: 'T1496', severity: 'high', step, pid: 7, time: 1, description: 'd' });
    insert.run(1, 'turn-a', '[]');
    insert.run(2, null, `[${v2Alert('x', 5)},${v2Alert('y', null)}]`);
    old.close();
    const store = openSqliteStore(path);
    try {
      const steps = store.steps('ep-1');
      assert.deepEqual(steps[0]?.alerts, []);
      assert.deepEqual(steps[1]?.alerts.map((a) => [a.id, a.step, a.turn, a.sandboxStep]), [['x', 2, null, 5], ['y', 2, null, null]]);
      assert.deepEqual(store.turns('ep-1'), []);
    } finally {
      store.close();
    }
  });

  it('migrates a version 3 store to GPU columns: old rows read back without GPU use, new ones keep theirs', async () => {
    const path = freshPath();
    const old = new Database(path);
    SQLITE_MIGRATIONS.slice(0, 3).forEach((sql) => old.exec(sql));
    old.pragma('user_version = 3');
    old.prepare(
      `INSERT INTO episodes (id, task_id, sandbox_id, policy, status, started_at, ended_at, task, outcome, messages)
       VALUES ('old', 'task-1', 'sb-1', 'scripted:file', 'running', 1, NULL, ?, NULL, NULL)`,
    ).run(JSON.stringify(makeEpisode().task));
    old.prepare(`INSERT INTO steps (episode_id, idx, started_at, ended_at, message, observation, sandbox_steps, alerts) VALUES ('old', 1, 1, 2, 'text', 'null', '[]', '[]')`).run();
    old.close();
    const store = openSqliteStore(path);
    try {
      assert.equal(store.steps('old')[0]?.gpu, undefined);
      await store.appendStep(toolStep('old', 2, { gpu: { gpuSeconds: 1.5, peakMemoryBytes: 1024 } }));
      store.finishEpisode('old', 'completed', null, { gpu: { gpuSeconds: 2, peakMemoryBytes: 2048 } });
      assert.deepEqual(store.steps('old')[1]?.gpu, { gpuSeconds: 1.5, peakMemoryBytes: 1024 });
      assert.deepEqual(store.getEpisode('old')?.gpu, { gpuSeconds: 2, peakMemoryBytes: 2048 });
    } finally {
      store.close();
    }
  });

  it('reports a corrupt episode row and lists the others', () => {
    const path = freshPath();
    const corrupt: string[] = [];
    const store = openSqliteStore(path, { onCorruptRow: (m) => corrupt.push(m) });
    try {
      store.createEpisode(makeEpisode({ id: 'good' }));
      store.createEpisode(makeEpisode({ id: 'bad-json' }));
      store.createEpisode(makeEpisode({ id: 'bad-shape' }));
      const raw = new Database(path);
      raw.prepare("UPDATE episodes SET task = '{oops' WHERE id = 'bad-json'").run();
      raw.prepare(`UPDATE episodes SET outcome = '{"reward":"high"}' WHERE id = 'bad-shape'`).run();
      raw.close();
      assert.deepEqual(store.listEpisodes().map((e) => e.id), ['good']);
      assert.equal(corrupt.length, 2);
      assert.ok(corrupt.includes('episode bad-json is corrupt: task: not valid JSON'), corrupt.join('\n'));
      assert.ok(corrupt.some((m) => m.startsWith('episode bad-shape is corrupt: outcome.')), corrupt.join('\n'));
      assert.throws(() => store.getEpisode('bad-json'), /episode bad-json is corrupt/);
    } finally {
      store.close();
    }
  });

  it('names the corrupt step when reading steps', async () => {
    const path = freshPath();
    const store = openSqliteStore(path);
    try {
      store.createEpisode(makeEpisode());
      await store.appendStep(toolStep('ep-1', 1));
      const raw = new Database(path);
      raw.prepare(`UPDATE steps SET alerts = '[{"id":"x"}]'`).run();
      raw.close();
      assert.throws(() => store.steps('ep-1'), /step 1 of episode ep-1 is corrupt: alerts\[0\]\.ruleId: /);
    } finally {
      store.close();
    }
  });

  it('says how to build better-sqlite3 when its native module is missing', () => {
    const dir2 = mkdtempSync(join(dir, 'no-addon-'));
    assert.throws(
      () => openSqliteStore(':memory:', {}, join(dir2, 'build', 'Release', 'better_sqlite3.node')),
      (err: unknown) =>
        err instanceof PraetorError &&
        err.code === 'host-unsupported' &&
        err.message.includes('npm rebuild better-sqlite3') &&
        err.message.includes('--store memory:'),
    );
    // What `bindings` throws when npm ci --ignore-scripts built nothing (seen by hand on a copy).
    assert.ok(isMissingAddon(new Error('Could not locate the bindings file. Tried:\n → /x/build/better_sqlite3.node')));
    assert.ok(!isMissingAddon(new Error('SQLITE_NOTADB: file is not a database')));
    // The real module still loads afterwards: better-sqlite3 caches only an addon that loaded.
    openSqliteStore(':memory:').close();
  });

  it('sees a second connection reading while the first writes', async () => {
    const path = freshPath();
    const writer = openSqliteStore(path);
    const reader = openSqliteStore(path);
    try {
      writer.createEpisode(makeEpisode());
      await writer.appendStep(toolStep('ep-1', 1));
      assert.equal(reader.steps('ep-1').length, 1);
    } finally {
      writer.close();
      reader.close();
    }
  });
});
