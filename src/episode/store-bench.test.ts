// Tests for the store micro-benchmark: it writes the steps it says it timed and reports consistent figures.
import * as assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { openSqliteStore } from './sqlite-store.js';
import { measureStoreThroughput } from './store-bench.js';

describe('measureStoreThroughput', () => {
  it('appends the steps and reports steps per second and ms per step', () => {
    const store = openSqliteStore(':memory:');
    const r = measureStoreThroughput(store, 50);
    assert.equal(r.steps, 50);
    assert.ok(r.stepsPerSecond > 0 && r.msPerStep > 0);
    assert.ok(Math.abs(r.stepsPerSecond * r.msPerStep - 1000) < 1e-6);
    const [episode] = store.listEpisodes();
    assert.equal(episode?.status, 'completed');
    assert.equal(store.steps(episode.id).length, 50);
    store.close();
  });
});
