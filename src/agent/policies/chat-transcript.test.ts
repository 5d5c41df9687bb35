import { describe, it } from 'node:test';
import * as assert from 'node:assert/strict';
import { transcriptMessages } from './chat-transcript.js';
import type { HistoryEntry } from './policy.js';

describe('transcriptMessages', () => {
  it('answers every call, renders messages, and places side exchanges', () => {
    const history: HistoryEntry[] = [
      { call: { id: 'a', name: 'bash', arguments: { command: 'ls' } }, text: null, observation: { content: 'refused', isError: true, denied: true } },
      { call: { id: 'b', name: 'list_dir', arguments: {} }, text: 'checking', observation: null },
      { call: null, text: 'I will stop here.', observation: { content: 'Please go on.', isError: false, denied: false } },
    ];
    const side = new Map([[1, [{ role: 'user' as const, content: 'side note' }]]]);
    assert.deepEqual(transcriptMessages('sys', 'do it', history, side), [
      { role: 'system', content: 'sys' },
      { role: 'user', content: 'do it' },
      { role: 'assistant', content: null, tool_calls: [{ id: 'a', type: 'function', function: { name: 'bash', arguments: '{"command":"ls"}' } }] },
      { role: 'tool', tool_call_id: 'a', content: 'refused' },
      { role: 'user', content: 'side note' },
      { role: 'assistant', content: 'checking', tool_calls: [{ id: 'b', type: 'function', function: { name: 'list_dir', arguments: '{}' } }] },
      { role: 'tool', tool_call_id: 'b', content: '(no result was recorded for this call)' },
      { role: 'assistant', content: 'I will stop here.' },
      { role: 'user', content: 'Please go on.' },
    ]);
  });
});
