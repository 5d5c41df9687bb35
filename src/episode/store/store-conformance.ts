// The conformance suite every EpisodeStore must pass (SQLite today, PostgreSQL later): the contract
// of episode-store.ts through the interface only, and no step lost when praetor is killed mid-episode.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import * as assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { PraetorError } from '../../core/errors.js';
import { T0, makeAlert, makeEpisode, makeTurn, messageStep, toolStep } from '../episode-fixtures.js';
import type { EpisodeStore } from './episode-store.js';
import { openEpisodeStore } from './open-store.js';
import { computeOutcome } from '../reward.js';

/** For stores that outlive a process: a URL naming a new, empty store on each call. */
export interface DurableStoreFixture {
  freshUrl(): string;
}

const CRASH_FIXTURE = fileURLToPath(new URL('./store-crash-fixture.js', import.meta.url));

async function using<T>(store: EpisodeStore, body: (store: EpisodeStore) => T | Promise<T>): Promise<T> {
  try {
    return await body(store);
  } finally {
    store.close();
  }
}

export function describeStoreConformance(name: string, open: () => EpisodeStore, durable?: DurableStoreFixture): void {
  void describe(`EpisodeStore conformance: ${name}`, () => {
    it('stores an episode and gives it back as created', () =>
      using(open(), (store) => {
        const episode = makeEpisode({ statusReason: 'because' });
        store.createEpisode(episode);
        assert.deepEqual(store.getEpisode('ep-1'), episode);
        assert.equal(store.getEpisode('missing'), null);
        assert.throws(() => store.createEpisode(episode), PraetorError);
      }));

    it('returns steps in order, every field intact', () =>
      using(open(), async (store) => {
        store.createEpisode(makeEpisode());
        const written = [
          toolStep('ep-1', 1, { resources: { cpuSeconds: 0.5 }, tokens: { prompt: 900, completion: 40 }, modelRequestId: 'req-1' }),
          toolStep('ep-1', 2, { alerts: [makeAlert({ step: 2 })], sandboxSteps: [2, 3] }),
          toolStep('ep-1', 3, { observation: { content: 'denied: not allowed', isError: true, denied: true } }),
          messageStep('ep-1', 4, 'Done: the test passes.'),
        ];
        for (const s of written) await store.appendStep(s);
        assert.deepEqual(store.steps('ep-1'), written);
        assert.deepEqual(store.steps('other'), []);
      }));

    it('stores the tools offered, and model turns by index with every field, refusing a repeat or an ended episode', () =>
      using(open(), async (store) => {
        const tools = [{ type: 'function' as const, function: { name: 'bash', description: 'Run it', parameters: { type: 'object' } } }];
        store.createEpisode(makeEpisode({ tools }));
        assert.deepEqual(store.getEpisode('ep-1')?.tools, tools);
        const second = makeTurn('ep-1', 2, { tokens: { promptIds: [1, 2], completionIds: [3], logprobs: [{ token: 'a', logprob: -0.5, tokenId: 3 }] }, usage: { prompt: 2, completion: 1 } });
        const first = makeTurn('ep-1', 1, { response: null, error: 'upstream 502' });
        await store.appendTurn(second);
        await store.appendTurn(first);
        assert.deepEqual(store.turns('ep-1'), [first, second]);
        assert.deepEqual(store.turns('other'), []);
        await assert.rejects(store.appendTurn(second), /stored already/);
        await assert.rejects(store.appendTurn(makeTurn('nope', 1)), /no episode nope/);
        store.finishEpisode('ep-1', 'completed', null);
        await assert.rejects(store.appendTurn(makeTurn('ep-1', 3)), /is completed/);
      }));

    it('stores GPU use per step and per episode (GPU-seconds, peak memory), absent where none was recorded', () =>
      using(open(), async (store) => {
        store.createEpisode(makeEpisode());
        const used = toolStep('ep-1', 1, { gpu: { gpuSeconds: 12.75, peakMemoryBytes: 3 * 2 ** 30 } });
        const none = toolStep('ep-1', 2);
        await store.appendStep(used);
        await store.appendStep(none);
        assert.deepEqual(store.steps('ep-1'), [used, none]);
        assert.equal(store.steps('ep-1')[1]?.gpu, undefined);
        assert.throws(() => store.finishEpisode('ep-1', 'completed', null, { gpu: { gpuSeconds: -1, peakMemoryBytes: 0 } }), PraetorError);
        store.finishEpisode('ep-1', 'completed', null, { gpu: { gpuSeconds: 20.5, peakMemoryBytes: 5 * 2 ** 30 } });
        assert.deepEqual(store.getEpisode('ep-1')?.gpu, { gpuSeconds: 20.5, peakMemoryBytes: 5 * 2 ** 30 });
        assert.deepEqual(store.listEpisodes()[0]?.gpu, { gpuSeconds: 20.5, peakMemoryBytes: 5 * 2 ** 30 });
        store.createEpisode(makeEpisode({ id: 'no-gpu' }));
        store.finishEpisode('no-gpu', 'completed', null);
        assert.equal(store.getEpisode('no-gpu')?.gpu, undefined);
      }));

    it('keeps the steps of different episodes apart', () =>
      using(open(), async (store) => {
        store.createEpisode(makeEpisode({ id: 'a' }));
        store.createEpisode(makeEpisode({ id: 'b' }));
        await store.appendStep(toolStep('a', 1));
        await store.appendStep(toolStep('b', 1));
        await store.appendStep(toolStep('a', 2));
        assert.deepEqual(store.steps('a').map((s) => [s.episodeId, s.index]), [['a', 1], ['a', 2]]);
        assert.deepEqual(store.steps('b').map((s) => [s.episodeId, s.index]), [['b', 1]]);
      }));

    it('stores steps of many episodes appended at once, refusing only the bad one', () =>
      using(open(), async (store) => {
        const ids = Array.from({ length: 16 }, (_, i) => `ep-${i}`);
        for (const id of ids) store.createEpisode(makeEpisode({ id }));
        const results = await Promise.allSettled([...ids.map((id) => store.appendStep(toolStep(id, 1))), store.appendStep(toolStep('ep-3', 5))]);
        assert.deepEqual(results.map((r) => r.status), [...Array<string>(16).fill('fulfilled'), 'rejected']);
        const refused = results[16];
        assert.match(refused?.status === 'rejected' ? String(refused.reason) : '', /last step is 1, expected 2/);
        for (const id of ids) assert.deepEqual(store.steps(id).map((s) => s.index), [1]);
      }));

    it('refuses a step that would leave a gap, repeat an index, or land on no running episode', () =>
      using(open(), async (store) => {
        store.createEpisode(makeEpisode());
        await assert.rejects(store.appendStep(toolStep('ep-1', 2)), /last step is 0, expected 1/);
        await store.appendStep(toolStep('ep-1', 1));
        await assert.rejects(store.appendStep(toolStep('ep-1', 1)), /last step is 1, expected 2/);
        await assert.rejects(store.appendStep(toolStep('nope', 1)), /no episode nope/);
        store.finishEpisode('ep-1', 'failed', null);
        await assert.rejects(store.appendStep(toolStep('ep-1', 2)), /is failed/);
        assert.equal(store.steps('ep-1').length, 1);
      }));

    it('refuses a step that breaks the model', () =>
      using(open(), async (store) => {
        store.createEpisode(makeEpisode());
        const bad = { ...toolStep('ep-1', 1), observation: null };
        await assert.rejects(store.appendStep(bad), /observation: a tool call step needs its observation/);
      }));

    it('finishes an episode once, with its status and outcome', () =>
      using(open(), (store) => {
        store.createEpisode(makeEpisode());
        const outcome = computeOutcome(1, [makeAlert({ severity: 'medium' })], makeEpisode().task.safetyPenalties, 'ok');
        store.finishEpisode('ep-1', 'completed', outcome);
        const done = store.getEpisode('ep-1');
        assert.equal(done?.status, 'completed');
        assert.deepEqual(done?.outcome, outcome);
        assert.ok(typeof done?.endedAt === 'number' && done.endedAt >= T0);
        assert.throws(() => store.finishEpisode('ep-1', 'failed', null), /already ended as completed/);
        assert.throws(() => store.finishEpisode('nope', 'failed', null), /no episode nope/);
      }));

    it('lists newest first, by status, up to a limit', () =>
      using(open(), (store) => {
        for (const [id, at] of [['old', 1], ['mid', 2], ['new', 3]] as const) store.createEpisode(makeEpisode({ id, startedAt: T0 + at }));
        store.finishEpisode('mid', 'completed', null);
        assert.deepEqual(store.listEpisodes().map((e) => e.id), ['new', 'mid', 'old']);
        assert.deepEqual(store.listEpisodes({ status: 'running' }).map((e) => e.id), ['new', 'old']);
        assert.deepEqual(store.listEpisodes({ limit: 2 }).map((e) => e.id), ['new', 'mid']);
        assert.deepEqual(store.listEpisodes({ status: 'terminated' }), []);
      }));

    it('marks episodes left running as aborted, keeping every step', () =>
      using(open(), async (store) => {
        store.createEpisode(makeEpisode({ id: 'left' }));
        store.createEpisode(makeEpisode({ id: 'empty' }));
        store.createEpisode(makeEpisode({ id: 'done' }));
        for (let i = 1; i <= 3; i++) await store.appendStep(toolStep('left', i));
        store.finishEpisode('done', 'completed', null);
        assert.deepEqual(store.markRunningAsAborted('praetor restarted'), ['empty', 'left']);
        const left = store.getEpisode('left');
        assert.equal(left?.status, 'aborted');
        assert.equal(left?.statusReason, 'praetor restarted');
        assert.equal(left?.endedAt, toolStep('left', 3).endedAt);
        assert.equal(store.getEpisode('empty')?.endedAt, T0);
        assert.equal(store.getEpisode('done')?.status, 'completed');
        assert.equal(store.steps('left').length, 3);
        assert.deepEqual(store.markRunningAsAborted('again'), []);
      }));

    it('leaves running episodes whose sandbox is still live (another praetor runs them)', () =>
      using(open(), (store) => {
        store.createEpisode(makeEpisode({ id: 'theirs', sandboxId: 'sb-live' }));
        store.createEpisode(makeEpisode({ id: 'orphan', sandboxId: 'sb-dead' }));
        assert.deepEqual(store.markRunningAsAborted('praetor restarted', ['sb-live']), ['orphan']);
        assert.equal(store.getEpisode('theirs')?.status, 'running');
      }));

    // A store that does not outlive its process (memory:, sqlite::memory:) makes no durability
    // claim, so there is nothing to test; every file-backed store runs the tests below.
    if (durable === undefined) return;

    it('a reopened store sees everything written before close', async () => {
      const url = durable.freshUrl();
      await using(openEpisodeStore(url), async (store) => {
        store.createEpisode(makeEpisode());
        await store.appendStep(toolStep('ep-1', 1));
      });
      await using(openEpisodeStore(url), (store) => {
        assert.equal(store.getEpisode('ep-1')?.status, 'running');
        assert.equal(store.steps('ep-1').length, 1);
      });
    });

    it('keeps every step of a writer killed with SIGKILL mid-episode, then aborts the episode', async () => {
      const url = durable.freshUrl();
      const child = spawn(process.execPath, [CRASH_FIXTURE, url, 'crashed'], { stdio: ['ignore', 'pipe', 'inherit'] });
      let out = '';
      child.stdout.setEncoding('utf8');
      const ready = new Promise<void>((resolve, reject) => {
        child.stdout.on('data', (chunk: string) => {
          out += chunk;
          if (out.includes('ready\n')) resolve();
        });
        child.once('exit', (code) => reject(new Error(`crash fixture exited early (${code}): ${out}`)));
      });
      await ready;
      const exited = once(child, 'exit');
      child.kill('SIGKILL');
      const [, signal] = (await exited) as [number | null, NodeJS.Signals | null];
      assert.equal(signal, 'SIGKILL');

      await using(openEpisodeStore(url), (store) => {
        assert.equal(store.getEpisode('crashed')?.status, 'running');
        assert.deepEqual(store.steps('crashed').map((s) => s.index), [1, 2, 3, 4, 5]);
        assert.deepEqual(store.markRunningAsAborted('praetor was killed'), ['crashed']);
        assert.equal(store.getEpisode('crashed')?.status, 'aborted');
        assert.equal(store.steps('crashed').length, 5);
      });
    });
  });
}
