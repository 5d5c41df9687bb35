// docs/export-schema.json is what the code generates, and a standard JSON Schema validator (ajv,
// draft 2020-12) accepts real export lines and refuses broken ones. The invariant
// export-lines-match-schema.test.ts validates exports of real episodes of each kind.
import * as assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { makeAlert, makeEpisode, makeTurn, messageStep, toolStep } from './episode-fixtures.js';
import { exportEpisodesJsonl } from './export.js';
import { exportJsonSchemaText } from './export-schema.js';
import { computeOutcome } from './reward.js';
import { openMemoryStore } from './store/memory-store.js';
import { EXPORT_SCHEMA_PATH, exportLineValidator } from '../testing/export-validator.js';


describe('docs/export-schema.json', () => {
  it('is the schema the code generates (run node scripts/write-export-schema.mjs after changing the format)', () => {
    assert.equal(readFileSync(EXPORT_SCHEMA_PATH, 'utf8'), exportJsonSchemaText());
  });

  it('accepts export lines of step-driven and agent-native episodes, and refuses broken ones', async () => {
    const valid = exportLineValidator();
    const store = openMemoryStore();
    const tools = [{ type: 'function' as const, function: { name: 'bash', description: 'Run', parameters: { type: 'object' } } }];
    store.createEpisode(makeEpisode({ id: 'llm', tools }));
    await store.appendStep(toolStep('llm', 1, { alerts: [makeAlert({ step: 1 })] }));
    await store.appendStep(messageStep('llm', 2, 'Done.', { turn: 'turn-2', tokens: { prompt: 3, completion: 1 } }));
    store.finishEpisode('llm', 'completed', computeOutcome(1, [makeAlert({ step: 1 })], makeEpisode().task.safetyPenalties));
    store.createEpisode(makeEpisode({ id: 'native', startedAt: makeEpisode().startedAt + 1 }));
    await store.appendTurn(makeTurn('native', 1, { tokens: { promptIds: [1], completionIds: [2], logprobs: [{ token: 'a', logprob: -1, tokenId: 2 }] } }));
    await store.appendStep(toolStep('native', 1, { turn: 'turn-1', action: { id: 'call-1', name: 'bash', arguments: { command: 'ls' } } }));
    store.markRunningAsAborted('praetor restarted');
    const lines = exportEpisodesJsonl(store).trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    assert.equal(lines.length, 2);
    for (const line of lines) assert.deepEqual(valid(line), []);

    const [first] = lines as [{ messages: unknown[]; tools: unknown[]; metadata: Record<string, unknown> }];
    const broken: [string, unknown][] = [
      ['no tools', { ...first, tools: undefined }],
      ['an unknown field', { ...first, extra: 1 }],
      ['a message of an unknown role', { ...first, messages: [{ role: 'wizard', content: 'x' }] }],
      ['a label that is neither clean nor flagged', { ...first, metadata: { ...first.metadata, safety_label: 'maybe' } }],
      ['a turn without its api', { ...first, metadata: { ...first.metadata, turns: [{ id: 't', index: 1 }] } }],
    ];
    for (const [what, line] of broken) assert.notDeepEqual(valid(JSON.parse(JSON.stringify(line))), [], what);
    store.close();
  });
});
