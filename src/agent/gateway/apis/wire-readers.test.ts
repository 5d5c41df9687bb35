// The readers on wire data written by hand in each API's documented form, not by praetor's
// renderers: streams as servers send them (vLLM's per-chunk token ids, Anthropic's ping and
// cache counts, a Responses stream whose completed event carries no output), and requests as
// codex and claude-code send them (reasoning items, freeform tools, tool_result blocks).
import { describe, it } from 'node:test';
import * as assert from 'node:assert/strict';
import { anthropicMessagesApi } from './anthropic-messages-api.js';
import { chatCompletionsApi } from './chat-completions-api.js';
import type { ModelApi } from './model-api.js';
import { responsesApi } from './responses-api.js';
import type { SseEvent } from './sse.js';

function fold(api: ModelApi, events: readonly (object | string)[], named = false) {
  const f = api.streamFold();
  for (const e of events) {
    const data = typeof e === 'string' ? e : JSON.stringify(e);
    const event: SseEvent = named && typeof e === 'object' ? { event: (e as { type: string }).type, data } : { data };
    f.add(event);
  }
  return { done: f.done, complete: f.complete, completion: f.result() };
}

describe('chat completions stream, vLLM style', () => {
  it('joins content, tool-call fragments, per-chunk token ids and logprobs; the usage chunk after the finish', () => {
    const base = { id: 'chatcmpl-v', object: 'chat.completion.chunk', created: 1, model: 'Qwen' };
    const { done, completion } = fold(chatCompletionsApi, [
      { ...base, prompt_token_ids: [1, 2, 3], choices: [{ index: 0, delta: { role: 'assistant', content: '' }, logprobs: null, finish_reason: null }] },
      { ...base, choices: [{ index: 0, delta: { content: 'Hi' }, logprobs: { content: [{ token: 'token_id:9', logprob: -0.5, bytes: [], top_logprobs: [] }] }, finish_reason: null, token_ids: [9] }] },
      { ...base, choices: [{ index: 0, delta: { tool_calls: [{ index: 0, id: 'chatcmpl-tool-1', type: 'function', function: { name: 'bash', arguments: '{"comm' } }] }, finish_reason: null, token_ids: [10, 11] }] },
      { ...base, choices: [{ index: 0, delta: { tool_calls: [{ index: 0, function: { arguments: 'and":"ls"}' } }] }, finish_reason: null, token_ids: [12] }] },
      { ...base, choices: [{ index: 0, delta: {}, finish_reason: 'tool_calls', token_ids: [] }] },
      { ...base, choices: [], usage: { prompt_tokens: 3, completion_tokens: 4, total_tokens: 7 } },
      '[DONE]',
    ]);
    assert.equal(done, true);
    assert.deepEqual(completion.message, { role: 'assistant', content: 'Hi', tool_calls: [{ id: 'chatcmpl-tool-1', type: 'function', function: { name: 'bash', arguments: '{"command":"ls"}' } }] });
    assert.deepEqual(completion.usage, { prompt: 3, completion: 4 });
    assert.deepEqual(completion.tokens, { promptIds: [1, 2, 3], completionIds: [9, 10, 11, 12], logprobs: [{ token: 'token_id:9', logprob: -0.5, tokenId: 9 }] });
    assert.equal(completion.finishReason, 'tool_calls');
  });

  it('a stream that ends at its finish reason without [DONE] is whole; one cut before is not', () => {
    const chunk = (delta: object, finish: string | null) => ({ id: 'x', choices: [{ index: 0, delta, finish_reason: finish }] });
    assert.equal(fold(chatCompletionsApi, [chunk({ content: 'a' }, null), chunk({}, 'stop')]).complete, true);
    assert.equal(fold(chatCompletionsApi, [chunk({ content: 'a' }, null)]).complete, false);
  });
});

describe('Responses stream', () => {
  it('reads the output items when response.completed carries none, and its usage', () => {
    const fc = { id: 'fc_1', type: 'function_call', status: 'completed', arguments: '{"command":["ls"]}', call_id: 'call_1', name: 'shell' };
    const msg = { id: 'msg_1', type: 'message', status: 'completed', role: 'assistant', content: [{ type: 'output_text', annotations: [], text: 'Listing.' }] };
    const { done, completion } = fold(
      responsesApi,
      [
        { type: 'response.created', sequence_number: 0, response: { id: 'resp_1', status: 'in_progress', output: [] } },
        { type: 'response.output_item.added', sequence_number: 1, output_index: 0, item: { ...msg, status: 'in_progress', content: [] } },
        { type: 'response.output_text.delta', sequence_number: 2, item_id: 'msg_1', output_index: 0, content_index: 0, delta: 'Listing.' },
        { type: 'response.output_item.done', sequence_number: 3, output_index: 0, item: msg },
        { type: 'response.output_item.done', sequence_number: 4, output_index: 1, item: fc },
        { type: 'response.completed', sequence_number: 5, response: { id: 'resp_1', status: 'completed', usage: { input_tokens: 50, output_tokens: 8, total_tokens: 58 } } },
      ],
      true,
    );
    assert.equal(done, true);
    assert.deepEqual(completion.message, { role: 'assistant', content: 'Listing.', tool_calls: [{ id: 'call_1', type: 'function', function: { name: 'shell', arguments: '{"command":["ls"]}' } }] });
    assert.deepEqual([completion.completionId, completion.usage, completion.finishReason], ['resp_1', { prompt: 50, completion: 8 }, 'completed']);
  });

  it('a failed response is an error', () => {
    assert.throws(() => fold(responsesApi, [{ type: 'response.failed', response: { id: 'r', status: 'failed', error: { code: 'server_error', message: 'boom' } } }]), /boom/);
  });
});

describe('Anthropic stream', () => {
  it('reads text and tool_use blocks, pings, and totals that count cached prompt tokens', () => {
    const { done, completion } = fold(
      anthropicMessagesApi,
      [
        { type: 'message_start', message: { id: 'msg_01', type: 'message', role: 'assistant', content: [], model: 'claude', stop_reason: null, stop_sequence: null, usage: { input_tokens: 10, cache_read_input_tokens: 90, output_tokens: 1 } } },
        { type: 'content_block_start', index: 0, content_block: { type: 'text', text: '' } },
        { type: 'ping' },
        { type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: 'Okay' } },
        { type: 'content_block_stop', index: 0 },
        { type: 'content_block_start', index: 1, content_block: { type: 'tool_use', id: 'toolu_01', name: 'Bash', input: {} } },
        { type: 'content_block_delta', index: 1, delta: { type: 'input_json_delta', partial_json: '' } },
        { type: 'content_block_delta', index: 1, delta: { type: 'input_json_delta', partial_json: '{"command": "ls' } },
        { type: 'content_block_delta', index: 1, delta: { type: 'input_json_delta', partial_json: '"}' } },
        { type: 'content_block_stop', index: 1 },
        { type: 'message_delta', delta: { stop_reason: 'tool_use', stop_sequence: null }, usage: { output_tokens: 30 } },
        { type: 'message_stop' },
      ],
      true,
    );
    assert.equal(done, true);
    assert.deepEqual(completion.message, { role: 'assistant', content: 'Okay', tool_calls: [{ id: 'toolu_01', type: 'function', function: { name: 'Bash', arguments: '{"command": "ls"}' } }] });
    assert.deepEqual([completion.usage, completion.finishReason], [{ prompt: 100, completion: 30 }, 'tool_use']);
  });

  it('an error event mid-stream is an error', () => {
    assert.throws(() => fold(anthropicMessagesApi, [{ type: 'error', error: { type: 'overloaded_error', message: 'Overloaded' } }], true), /Overloaded/);
  });
});

describe('requests as agents send them', () => {
  it('codex: instructions, developer and user messages, reasoning, calls and their outputs, freeform tools', () => {
    const parsed = responsesApi.parseRequest({
      model: 'gpt-5-codex',
      instructions: 'You are Codex.',
      input: [
        { type: 'message', role: 'developer', content: [{ type: 'input_text', text: 'sandbox: workspace-write' }] },
        { type: 'message', role: 'user', content: [{ type: 'input_text', text: 'fix it' }] },
        { type: 'reasoning', id: 'rs_1', summary: [{ type: 'summary_text', text: 'Look first.' }], encrypted_content: null },
        { type: 'function_call', id: 'fc_1', name: 'shell', arguments: '{"command":["ls"]}', call_id: 'call_1' },
        { type: 'custom_tool_call', id: 'ctc_1', name: 'apply_patch', input: '*** Begin Patch', call_id: 'call_2' },
        { type: 'function_call_output', call_id: 'call_1', output: 'a.py' },
        { type: 'custom_tool_call_output', call_id: 'call_2', output: 'Done!' },
      ],
      tools: [
        { type: 'function', name: 'shell', description: 'Runs a command', strict: false, parameters: { type: 'object' } },
        { type: 'custom', name: 'apply_patch', description: 'Patch files', format: { type: 'grammar' } },
      ],
      stream: true,
    });
    assert.ok('request' in parsed);
    assert.deepEqual(parsed.request.messages, [
      { role: 'system', content: 'You are Codex.' },
      { role: 'system', content: 'sandbox: workspace-write' },
      { role: 'user', content: 'fix it' },
      {
        role: 'assistant',
        content: null,
        reasoning: 'Look first.',
        tool_calls: [
          { id: 'call_1', type: 'function', function: { name: 'shell', arguments: '{"command":["ls"]}' } },
          { id: 'call_2', type: 'function', function: { name: 'apply_patch', arguments: '*** Begin Patch' } },
        ],
      },
      { role: 'tool', tool_call_id: 'call_1', content: 'a.py' },
      { role: 'tool', tool_call_id: 'call_2', content: 'Done!' },
    ]);
    assert.deepEqual(parsed.request.tools.map((t) => [t.function.name, t.function['x-responses-type']]), [['shell', undefined], ['apply_patch', 'custom']]);
    assert.equal(parsed.request.stream, true);
  });

  it('claude-code: system blocks, tool_result blocks (errors too) before the user text, thinking', () => {
    const parsed = anthropicMessagesApi.parseRequest({
      model: 'claude-sonnet',
      max_tokens: 32000,
      system: [{ type: 'text', text: 'You are Claude Code.', cache_control: { type: 'ephemeral' } }, { type: 'text', text: ' Be brief.' }],
      messages: [
        { role: 'user', content: [{ type: 'text', text: 'run the tests' }] },
        { role: 'assistant', content: [{ type: 'thinking', thinking: 'npm test', signature: 'sig' }, { type: 'text', text: 'Running.' }, { type: 'tool_use', id: 'toolu_1', name: 'Bash', input: { command: 'npm test' } }] },
        { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'toolu_1', content: [{ type: 'text', text: '1 failing' }], is_error: true }, { type: 'text', text: 'fix it' }] },
      ],
      tools: [{ name: 'Bash', description: 'Run', input_schema: { type: 'object' } }, { type: 'web_search_20250305', name: 'web_search' }],
    });
    assert.ok('request' in parsed);
    assert.deepEqual(parsed.request.messages, [
      { role: 'system', content: 'You are Claude Code. Be brief.' },
      { role: 'user', content: 'run the tests' },
      { role: 'assistant', content: 'Running.', tool_calls: [{ id: 'toolu_1', type: 'function', function: { name: 'Bash', arguments: '{"command":"npm test"}' } }], reasoning: 'npm test' },
      { role: 'tool', tool_call_id: 'toolu_1', content: '1 failing', is_error: true },
      { role: 'user', content: 'fix it' },
    ]);
    assert.deepEqual(parsed.request.tools.map((t) => [t.function.name, t.function.parameters, t.function['x-anthropic-type']]), [['Bash', { type: 'object' }, undefined], ['web_search', undefined, 'web_search_20250305']]);
  });

  it('claude-code 2.1: a system message mid-conversation is read as one (the gateway refused it with 400 before)', () => {
    const parsed = anthropicMessagesApi.parseRequest({
      model: 'claude-sonnet',
      messages: [
        { role: 'user', content: [{ type: 'text', text: 'fix it' }] },
        { role: 'system', content: [{ type: 'text', text: 'Tools changed.' }] },
      ],
    });
    assert.ok('request' in parsed, JSON.stringify(parsed));
    assert.deepEqual(parsed.request.messages, [
      { role: 'user', content: 'fix it' },
      { role: 'system', content: 'Tools changed.' },
    ]);
  });
});
