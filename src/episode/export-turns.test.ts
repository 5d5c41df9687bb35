// An agent-native episode exports the agent's own conversation from the gateway's turns: its system
// prompt and tools, the history as it last sent it, the final answer, and each turn's token ids
// and logprobs pointed at the assistant message it produced; a side request points nowhere.
import * as assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ChatLineSchema } from './chat-format.js';
import { makeAlert, makeEpisode, makeTurn, messageStep, toolStep } from './episode-fixtures.js';
import { exportEpisodesJsonl } from './export.js';
import { computeOutcome } from './reward.js';
import { openMemoryStore } from './store/memory-store.js';

const SYSTEM = { role: 'system' as const, content: [{ type: 'text', text: 'You are Claude Code.' }] };
const USER = { role: 'user' as const, content: 'fix the build' };
const CALL = { id: 'toolu_1', type: 'function' as const, function: { name: 'Bash', arguments: '{"command":"make"}' } };
const TOOLS = [{ type: 'function' as const, function: { name: 'Bash', description: 'Run a command', parameters: { type: 'object' }, 'x-anthropic-type': 'custom' } }];

describe('export of an agent-native episode', () => {
  it("has the agent's system prompt, tools, whole history and final answer, and per-turn tokens", async () => {
    const store = openMemoryStore();
    store.createEpisode(makeEpisode({ policy: 'agent-native:claude', messages: [USER] }));
    const tokens = { promptIds: [1, 2, 3], completionIds: [9, 10], logprobs: [{ token: 'ok', logprob: -0.1, tokenId: 9 }] };
    const turns = [
      makeTurn('ep-1', 1, { api: 'anthropic-messages', request: { messages: [SYSTEM, USER], tools: TOOLS }, response: { role: 'assistant', content: null, reasoning: 'build first', tool_calls: [CALL] }, tokens }),
      // A side request (a title for the session): its own short conversation, not the episode's.
      makeTurn('ep-1', 2, { api: 'anthropic-messages', request: { messages: [{ role: 'user', content: 'title?' }], tools: [] }, response: { role: 'assistant', content: 'Fix build', tool_calls: [] } }),
      makeTurn('ep-1', 3, { api: 'anthropic-messages', response: null, error: 'upstream 529', request: { messages: [SYSTEM, USER], tools: TOOLS } }),
      makeTurn('ep-1', 4, {
        api: 'anthropic-messages',
        request: {
          messages: [SYSTEM, USER, { role: 'assistant', content: null, tool_calls: [CALL], reasoning: 'build first' }, { role: 'tool', tool_call_id: 'toolu_1', content: 'ok' }],
          tools: TOOLS,
        },
        response: { role: 'assistant', content: 'The build passes.', tool_calls: [] },
        usage: { prompt: 40, completion: 5 },
      }),
    ];
    for (const t of turns) await store.appendTurn(t);
    const miner = makeAlert({ step: 1, turn: 'turn-1' });
    await store.appendStep(toolStep('ep-1', 1, { turn: 'turn-1', action: { id: 'toolu_1', name: 'Bash', arguments: { command: 'make' } }, alerts: [miner, makeAlert({ id: 'm2', ruleId: 'miner-binary', severity: 'critical', step: 1, turn: 'turn-1' })] }));
    await store.appendStep(messageStep('ep-1', 2, 'The build passes.', { turn: 'turn-4' }));
    store.finishEpisode('ep-1', 'completed', computeOutcome(1, [miner], makeEpisode().task.safetyPenalties));

    const text = exportEpisodesJsonl(store);
    const line = ChatLineSchema.parse(JSON.parse(text));
    assert.equal(line.metadata.source, 'turns');
    assert.deepEqual(line.messages, [
      { role: 'system', content: 'You are Claude Code.' },
      { role: 'user', content: 'fix the build' },
      { role: 'assistant', content: null, tool_calls: [CALL], reasoning_content: 'build first' },
      { role: 'tool', tool_call_id: 'toolu_1', content: 'ok' },
      { role: 'assistant', content: 'The build passes.' },
    ]);
    assert.deepEqual(line.tools, TOOLS);
    assert.deepEqual(
      line.metadata.turns.map((t) => [t.index, t.message_index, t.error]),
      [[1, 2, null], [2, null, null], [3, null, 'upstream 529'], [4, 4, null]],
    );
    assert.deepEqual([line.metadata.turns[0]?.prompt_token_ids, line.metadata.turns[0]?.completion_token_ids], [tokens.promptIds, tokens.completionIds]);
    assert.deepEqual(line.metadata.turns[0]?.logprobs, [{ token: 'ok', logprob: -0.1, token_id: 9 }]);
    assert.deepEqual(line.metadata.per_step_labels.map((l) => [l.step, l.turn, l.label, l.severity, l.techniques, l.rules]), [
      [1, 'turn-1', 'flagged', 'critical', ['T1496'], ['miner-argv', 'miner-binary']],
      [2, 'turn-4', 'clean', null, [], []],
    ]);
    assert.deepEqual(line.metadata.behaviours.map((b) => [b.technique, b.step, b.turn, b.severity, b.penalty, b.alert_ids.length]), [['T1496', 1, 'turn-1', 'critical', 1, 2]]);
    store.close();
  });

  it('answers the calls of a last turn the agent never reported with what the steps saw', async () => {
    const store = openMemoryStore();
    store.createEpisode(makeEpisode({ messages: [USER] }));
    await store.appendTurn(makeTurn('ep-1', 1));
    await store.appendStep(toolStep('ep-1', 1, { turn: 'turn-1', action: { id: 'call-1', name: 'bash', arguments: { command: 'ls' } }, observation: { content: 'no tool result: the agent made no further model request', isError: true, denied: false } }));
    store.finishEpisode('ep-1', 'completed', null);
    const line = ChatLineSchema.parse(JSON.parse(exportEpisodesJsonl(store)));
    assert.deepEqual(line.messages.at(-1), { role: 'tool', tool_call_id: 'call-1', content: 'no tool result: the agent made no further model request' });
    store.close();
  });
});
