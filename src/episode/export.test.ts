// Tests for the JSONL export and the golden filter: chat structure (turns, tool calls, tool
// answers), metadata and per-step labels, and every exported line valid against ChatLineSchema.
import * as assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { ChatLineSchema, type ChatLine } from './chat-format.js';
import { makeAlert, makeEpisode, messageStep, toolStep } from './episode-fixtures.js';
import type { EpisodeStore } from './store/episode-store.js';
import { exportEpisodesJsonl, isGolden } from './export.js';
import { computeOutcome } from './reward.js';
import { openSqliteStore } from './store/sqlite-store.js';

const penalties = makeEpisode().task.safetyPenalties;

/** One episode of each kind that matters to the filter. */
async function seeded(): Promise<EpisodeStore> {
  const store = openSqliteStore(':memory:');
  const add = (id: string, at: number): void => store.createEpisode(makeEpisode({ id, startedAt: 1_700_000_000_000 + at }));

  add('golden', 1);
  await store.appendStep(toolStep('golden', 1, { turn: 't1', action: { id: 'c1', name: 'read_file', arguments: { path: 'a.ts' } } }));
  await store.appendStep(toolStep('golden', 2, { turn: 't1', action: { id: 'c2', name: 'bash', arguments: { command: 'npm test' } } }));
  await store.appendStep(messageStep('golden', 3, 'The tests pass now.', { turn: 't2' }));
  store.finishEpisode('golden', 'completed', computeOutcome(1, [], penalties, 'ok'));

  add('flagged', 2);
  const alert = makeAlert({ step: 2 });
  await store.appendStep(toolStep('flagged', 1));
  await store.appendStep(toolStep('flagged', 2, { alerts: [alert] }));
  store.finishEpisode('flagged', 'completed', computeOutcome(1, [alert], penalties));

  add('failed', 3);
  await store.appendStep(toolStep('failed', 1, { observation: { content: 'refused', isError: true, denied: true } }));
  store.finishEpisode('failed', 'failed', computeOutcome(0, [], penalties));

  add('no-verifier', 4);
  await store.appendStep(toolStep('no-verifier', 1));
  store.finishEpisode('no-verifier', 'completed', computeOutcome(null, [], penalties));

  add('aborted', 5);
  await store.appendStep(toolStep('aborted', 1, { alerts: [makeAlert({ severity: 'low' })] }));
  store.markRunningAsAborted('praetor restarted');

  add('running', 6);
  await store.appendStep(toolStep('running', 1));
  return store;
}

function lines(jsonl: string): ChatLine[] {
  assert.ok(jsonl === '' || jsonl.endsWith('\n'));
  return jsonl
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => {
      const parsed = ChatLineSchema.safeParse(JSON.parse(l));
      assert.ok(parsed.success, parsed.error?.message);
      return parsed.data;
    });
}

describe('exportEpisodesJsonl', () => {
  it('exports every finished episode, newest first, each line a valid chat line', async () => {
    const store = await seeded();
    const out = lines(exportEpisodesJsonl(store, {}));
    assert.deepEqual(out.map((l) => l.metadata.episode_id), ['aborted', 'no-verifier', 'failed', 'flagged', 'golden']);
    store.close();
  });

  it('keeps only golden episodes with clean', async () => {
    const store = await seeded();
    const out = lines(exportEpisodesJsonl(store, { clean: true }));
    assert.deepEqual(out.map((l) => l.metadata.episode_id), ['golden']);
    assert.equal(out[0]?.metadata.golden, true);
    store.close();
  });

  it('turns steps into chat messages, one assistant message per model turn', async () => {
    const store = await seeded();
    const [line] = lines(exportEpisodesJsonl(store, { ids: ['golden'] }));
    assert.deepEqual(line?.messages, [
      { role: 'system', content: 'You are a coding agent.' },
      { role: 'user', content: 'make the failing test pass' },
      {
        role: 'assistant',
        content: null,
        tool_calls: [
          { id: 'c1', type: 'function', function: { name: 'read_file', arguments: '{"path":"a.ts"}' } },
          { id: 'c2', type: 'function', function: { name: 'bash', arguments: '{"command":"npm test"}' } },
        ],
      },
      { role: 'tool', tool_call_id: 'c1', content: 'step 1\n' },
      { role: 'tool', tool_call_id: 'c2', content: 'step 2\n' },
      { role: 'assistant', content: 'The tests pass now.' },
    ]);
    assert.deepEqual(
      line?.metadata.per_step_labels.map((l) => [l.step, l.tool_call_id, l.label]),
      [[1, 'c1', 'clean'], [2, 'c2', 'clean'], [3, null, 'clean']],
    );
    assert.equal(line?.metadata.reward, 1);
    store.close();
  });

  it('labels the step that raised an alert and carries reward and penalty', async () => {
    const store = await seeded();
    const [flagged, failed, aborted] = lines(exportEpisodesJsonl(store, { ids: ['flagged', 'failed', 'aborted'] }));
    assert.equal(flagged?.metadata.safety_label, 'flagged');
    assert.equal(flagged?.metadata.penalty, 0.5);
    assert.equal(flagged?.metadata.reward, 0.5);
    assert.deepEqual(flagged?.metadata.per_step_labels.map((l) => l.label), ['clean', 'flagged']);
    assert.deepEqual(flagged?.metadata.alerts.map((a) => a.ruleId), ['miner-argv']);
    assert.equal(failed?.metadata.per_step_labels[0]?.denied, true);
    // An aborted episode has no outcome: no reward, but its alerts still label it.
    assert.equal(aborted?.metadata.reward, null);
    assert.equal(aborted?.metadata.status_reason, 'praetor restarted');
    assert.equal(aborted?.metadata.safety_label, 'flagged');
    assert.deepEqual(aborted?.metadata.alert_counts, { low: 1, medium: 0, high: 0, critical: 0 });
    store.close();
  });

  it('exports a running episode only when named, and refuses an unknown id', async () => {
    const store = await seeded();
    assert.equal(lines(exportEpisodesJsonl(store, { ids: ['running'] }))[0]?.metadata.status, 'running');
    assert.throws(() => exportEpisodesJsonl(store, { ids: ['nope'] }), /no episode nope/);
    assert.equal(exportEpisodesJsonl(store, { ids: [] }), '');
    store.close();
  });
});

describe('isGolden', () => {
  it('needs completed, a passing verifier, and no alert on the outcome or any step', async () => {
    const store = await seeded();
    const verdict = (id: string): boolean => {
      const e = store.getEpisode(id);
      assert.ok(e !== null);
      return isGolden(e, store.steps(id));
    };
    assert.deepEqual(['golden', 'flagged', 'failed', 'no-verifier', 'aborted', 'running'].map(verdict), [true, false, false, false, false, false]);
    // An outcome that says clean while a step carries an alert is not trusted.
    const golden = store.getEpisode('golden');
    assert.ok(golden !== null);
    assert.equal(isGolden(golden, [toolStep('golden', 1, { alerts: [makeAlert()] })]), false);
    assert.equal(isGolden({ ...golden, status: 'terminated' }), false);
    store.close();
  });
});

describe('ChatLineSchema', () => {
  let metadata: unknown;
  before(async () => {
    const store = await seeded();
    metadata = lines(exportEpisodesJsonl(store, { ids: ['golden'] }))[0]?.metadata;
    store.close();
  });
  const call = { id: 'c1', type: 'function', function: { name: 'bash', arguments: '{}' } } as const;

  it('refuses a tool call left unanswered and a tool message answering nothing', () => {
    const unanswered = ChatLineSchema.safeParse({ metadata, tools: [], messages: [{ role: 'assistant', content: null, tool_calls: [call] }] });
    assert.match(unanswered.error?.message ?? '', /tool call c1 has no tool message/);
    const stray = ChatLineSchema.safeParse({ metadata, tools: [], messages: [{ role: 'tool', tool_call_id: 'c9', content: '' }] });
    assert.match(stray.error?.message ?? '', /answers no open tool call: c9/);
  });

  it('refuses arguments that are not a JSON object string', () => {
    const bad = { ...call, function: { name: 'bash', arguments: '[1]' } };
    const r = ChatLineSchema.safeParse({ metadata, tools: [], messages: [{ role: 'assistant', content: null, tool_calls: [bad] }, { role: 'tool', tool_call_id: 'c1', content: '' }] });
    assert.match(r.error?.message ?? '', /arguments must be a JSON object/);
  });
});
