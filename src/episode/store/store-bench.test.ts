// Tests for the store micro-benchmark: it writes the steps it says it timed and reports consistent figures.
import * as assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { openSqliteStore } from './sqlite-store.js';
import { measureStoreThroughput } from './store-bench.js';

describe('measureStoreThroughput', () => {
  it('appends the steps and reports steps per second and ms per step', async () => {
    const store = openSqliteStore(':memory:');
    const r = await measureStoreThroughput(store, 50);
    assert.equal(r.steps, 50);
    assert.ok(r.stepsPerSecond > 0 && r.msPerStep > 0);
    assert.ok(Math.abs(r.stepsPerSecond * r.msPerStep - 1000) < 1e-6);
    const [episode] = store.listEpisodes();
    assert.equal(episode?.status, 'completed');
    assert.equal(store.steps(episode.id).length, 50);
    store.close();
  });

  it('splits the steps over writers that append at once', async () => {
    const store = openSqliteStore(':memory:');
    const r = await measureStoreThroughput(store, 50, 16);
    assert.equal(r.steps, 50);
    const episodes = store.listEpisodes();
    assert.equal(episodes.length, 16);
    assert.ok(episodes.every((e) => e.status === 'completed'));
    // 50 over 16: two writers get 4 steps, the rest 3
    assert.deepEqual(episodes.map((e) => store.steps(e.id).length).sort(), [...Array<number>(14).fill(3), 4, 4]);
    store.close();
  });
});
