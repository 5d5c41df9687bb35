// The PostgreSQL store on a real, throwaway server (src/testing/postgres-harness.ts; the suite
// fails, never skips, when PostgreSQL is not installed): the conformance suite, crash included;
// four processes writing 50 episodes each at once lose and reorder nothing; versioned migrations.
import * as assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { after, describe, it } from 'node:test';
import { startPostgres } from '../../testing/postgres-harness.js';
import { makeEpisode, toolStep } from '../episode-fixtures.js';
import { openEpisodeStore } from './open-store.js';
import { POSTGRES_MIGRATIONS } from './postgres-schema.js';
import { openPostgresStore } from './postgres-store.js';
import { describeStoreConformance } from './store-conformance.js';

const server = startPostgres();
after(() => server.stop());
let databases = 0;
const fresh = (): string => server.createSchema(`conformance_${++databases}`);
const WRITER = fileURLToPath(new URL('./postgres-writer-fixture.js', import.meta.url));

describeStoreConformance('postgres', () => openPostgresStore(fresh()), { freshUrl: fresh });

describe('postgres store', () => {
  it('four processes writing 50 episodes of 5 steps each at once lose and reorder nothing', async () => {
    const url = fresh();
    const writers = ['w0', 'w1', 'w2', 'w3'].map((prefix) => {
      const child = spawn(process.execPath, [WRITER, url, prefix, '50', '5'], { stdio: ['ignore', 'pipe', 'inherit'] });
      let out = '';
      child.stdout.setEncoding('utf8').on('data', (c: string) => (out += c));
      return once(child, 'exit').then(([code]) => ({ code: code as number | null, out }));
    });
    for (const w of await Promise.all(writers)) assert.deepEqual(w, { code: 0, out: 'done\n' });
    const store = openEpisodeStore(url);
    try {
      const episodes = store.listEpisodes();
      assert.equal(episodes.length, 200);
      for (const e of episodes) {
        assert.equal(e.status, 'completed', e.id);
        const steps = store.steps(e.id);
        assert.deepEqual(steps.map((s) => s.index), [1, 2, 3, 4, 5], e.id);
        assert.deepEqual(steps.map((s) => s.observation?.content), [1, 2, 3, 4, 5].map((i) => `${e.id} step ${i}`));
      }
    } finally {
      store.close();
    }
  });

  it('aborts only its own running episodes: other praetors sharing the database keep theirs', async () => {
    const url = fresh();
    const a = openEpisodeStore(url, { owner: 'node-a' });
    const b = openEpisodeStore(url, { owner: 'node-b' });
    try {
      a.createEpisode(makeEpisode({ id: 'of-a', sandboxId: 'sb-a' }));
      b.createEpisode(makeEpisode({ id: 'of-b', sandboxId: 'sb-b' }));
      await a.appendStep(toolStep('of-a', 1));
      assert.deepEqual(b.markRunningAsAborted('node-b restarted'), ['of-b']);
      assert.equal(b.getEpisode('of-a')?.status, 'running', 'another node sees the step of node a');
      assert.equal(b.steps('of-a').length, 1);
    } finally {
      a.close();
      b.close();
    }
  });

  it('migrates a version 1 database to GPU columns, keeping its rows', async () => {
    const url = fresh();
    const schema = new URL(url).searchParams.get('search_path') ?? '';
    server.psql('postgres', `SET search_path = ${schema}; CREATE TABLE praetor_schema (component TEXT PRIMARY KEY, version INTEGER NOT NULL);
      INSERT INTO praetor_schema VALUES ('episodes', 1); ${POSTGRES_MIGRATIONS[0] ?? ''}`);
    server.psql('postgres', `INSERT INTO ${schema}.episodes (id, task_id, sandbox_id, policy, status, started_at, task) VALUES ('old', 't', 'sb', 'p', 'running', 1, '${JSON.stringify(makeEpisode().task).replaceAll("'", "''")}')`);
    const store = openEpisodeStore(url);
    try {
      assert.equal(store.getEpisode('old')?.gpu, undefined);
      await store.appendStep(toolStep('old', 1, { gpu: { gpuSeconds: 0.25, peakMemoryBytes: 5 * 2 ** 32 } }));
      store.finishEpisode('old', 'completed', null, { gpu: { gpuSeconds: 3, peakMemoryBytes: 5 * 2 ** 32 } });
      assert.deepEqual(store.steps('old')[0]?.gpu, { gpuSeconds: 0.25, peakMemoryBytes: 5 * 2 ** 32 });
      assert.deepEqual(store.getEpisode('old')?.gpu, { gpuSeconds: 3, peakMemoryBytes: 5 * 2 ** 32 });
    } finally {
      store.close();
    }
    const table = `${schema}.praetor_schema`;
    assert.equal(server.psql('postgres', `SELECT version FROM ${table} WHERE component = 'episodes'`).trim(), String(POSTGRES_MIGRATIONS.length));
  });

  it('migrates a new database once, records the version, and refuses one written by a newer praetor', () => {
    const url = fresh();
    const stores = [openEpisodeStore(url), openEpisodeStore(url)];
    for (const s of stores) s.close();
    const table = `${new URL(url).searchParams.get('search_path') ?? ''}.praetor_schema`;
    assert.equal(server.psql('postgres', `SELECT version FROM ${table} WHERE component = 'episodes'`).trim(), String(POSTGRES_MIGRATIONS.length));
    server.psql('postgres', `UPDATE ${table} SET version = 99 WHERE component = 'episodes'`);
    assert.throws(() => openEpisodeStore(url), /schema is at version 99; this praetor knows up to/);
  });
});
