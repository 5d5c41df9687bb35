// The trainer answers: agents (the official SDKs, over real HTTP) send model requests to a gateway
// in trainer mode; a trainer takes them from the queue, by library calls or over the HTTP routes,
// and answers; the agents get answers in their own API and the gateway stores every turn.
import { describe, it } from 'node:test';
import * as assert from 'node:assert/strict';
import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import type { TrainerRequest } from './gateway-responder.js';
import { ModelGateway } from './model-gateway.js';
import { TrainerQueue, TrainerQueueError } from './trainer-queue.js';
import { trainerRoutes } from './trainer-routes.js';

async function trainerGateway(): Promise<{ queue: TrainerQueue; gateway: ModelGateway; base: string; close: () => Promise<void> }> {
  const queue = new TrainerQueue();
  const gateway = new ModelGateway({ upstream: queue });
  const { port } = await gateway.listen();
  return {
    queue,
    gateway,
    base: `http://127.0.0.1:${port}`,
    close: async () => {
      queue.close();
      await gateway.close();
    },
  };
}

const BASH = { type: 'function' as const, function: { name: 'bash', parameters: { type: 'object', properties: { command: { type: 'string' } } } } };

describe('TrainerQueue with the gateway', () => {
  it('a trainer takes each request of a chat-completions agent and answers it; the turns are stored', async () => {
    const { queue, gateway, base, close } = await trainerGateway();
    try {
      const { token } = gateway.register('sb-a');
      const agent = new OpenAI({ baseURL: `${base}/v1`, apiKey: token, maxRetries: 0 });
      const seen: TrainerRequest[] = [];
      const trainer = (async () => {
        const first = await queue.take();
        assert.ok(first);
        seen.push(first);
        assert.deepEqual(queue.pending().map((p) => [p.id, p.taken]), [[first.id, true]]);
        queue.answer(first.id, { tool_calls: [{ function: { name: 'bash', arguments: '{"command":"ls"}' } }], usage: { prompt: 20, completion: 4 }, tokens: { completionIds: [5, 6, 7] } });
        const second = await queue.take();
        assert.ok(second);
        seen.push(second);
        queue.answer(second.id, { content: 'There is one file.' });
      })();
      const messages: OpenAI.ChatCompletionMessageParam[] = [{ role: 'system', content: 'agent' }, { role: 'user', content: 'list' }];
      const one = await agent.chat.completions.create({ model: 'policy', messages, tools: [BASH], temperature: 0.7 });
      const call = one.choices[0]?.message.tool_calls?.[0];
      assert.ok(call?.type === 'function' && call.id.startsWith('call_'), 'the made-up call id is in OpenAI\'s style');
      assert.equal(call.function.arguments, '{"command":"ls"}');
      messages.push(one.choices[0]!.message, { role: 'tool', tool_call_id: call.id, content: 'a.txt' });
      const two = await agent.chat.completions.stream({ model: 'policy', messages, tools: [BASH] }).finalChatCompletion();
      assert.equal(two.choices[0]?.message.content, 'There is one file.');
      await trainer;

      assert.deepEqual(seen.map((r) => [r.sandboxId, r.api, r.index, r.stream]), [['sb-a', 'chat-completions', 1, false], ['sb-a', 'chat-completions', 2, true]]);
      assert.equal(seen[0]?.body.temperature, 0.7);
      assert.deepEqual(seen[1]?.request.messages.at(-1), { role: 'tool', tool_call_id: call.id, content: 'a.txt' });
      const turns = gateway.turns('sb-a');
      assert.deepEqual(turns.map((t) => t.id), seen.map((r) => r.id));
      assert.deepEqual(turns[0]?.response?.tool_calls, [{ id: call.id, type: 'function', function: { name: 'bash', arguments: '{"command":"ls"}' } }]);
      assert.deepEqual([turns[0]?.usage, turns[0]?.tokens], [{ prompt: 20, completion: 4 }, { completionIds: [5, 6, 7] }]);
      assert.equal(turns[1]?.response?.content, 'There is one file.');
      assert.deepEqual(queue.pending(), []);
    } finally {
      await close();
    }
  });

  it('answers a streaming Anthropic agent in its own events, and refuses tool arguments it can not carry', async () => {
    const { queue, gateway, base, close } = await trainerGateway();
    try {
      const { token } = gateway.register('sb-c');
      const agent = new Anthropic({ baseURL: base, apiKey: token, maxRetries: 0 });
      const reply = agent.beta.messages.stream({ model: 'policy', max_tokens: 100, system: 'agent', messages: [{ role: 'user', content: 'list' }] }).finalMessage();
      const request = await queue.take({ timeoutMs: 5000 });
      assert.equal(request?.api, 'anthropic-messages');
      assert.deepEqual(request?.request.messages, [{ role: 'system', content: 'agent' }, { role: 'user', content: 'list' }]);
      assert.throws(() => queue.answer(request.id, { tool_calls: [{ function: { name: 'bash', arguments: '[1]' } }] }), (e: unknown) => e instanceof TrainerQueueError && e.reason === 'invalid-answer' && /JSON object/.test(e.message));
      assert.equal(queue.pending().length, 1, 'a refused answer leaves the request waiting');
      queue.answer(request.id, { content: 'ok', tool_calls: [{ function: { name: 'bash', arguments: '{"command":"pwd"}' } }] });
      const message = await reply;
      assert.deepEqual(message.content.map((b) => b.type), ['text', 'tool_use']);
      const use = message.content[1];
      assert.ok(use?.type === 'tool_use' && use.id.startsWith('toolu_'));
      assert.deepEqual(use.input, { command: 'pwd' });
      assert.equal(message.stop_reason, 'tool_use');
      assert.equal(gateway.turns('sb-c')[0]?.response?.tool_calls[0]?.id, use.id);
    } finally {
      await close();
    }
  });

  it('take waits for a request, times out with null; fail and a gone agent end a request; unknown ids are refused', async () => {
    const { queue, gateway, base, close } = await trainerGateway();
    try {
      assert.equal(await queue.take({ timeoutMs: 20 }), null);
      const { token } = gateway.register('sb-b');
      const waiting = queue.take();
      const post = (signal?: AbortSignal): Promise<Response> =>
        fetch(`${base}/v1/responses`, { method: 'POST', headers: { authorization: `Bearer ${token}` }, body: JSON.stringify({ input: 'hi' }), ...(signal ? { signal } : {}) });
      const failed = post();
      const taken = await waiting;
      assert.equal(taken?.api, 'responses');
      queue.fail(taken.id, 'the policy is being reloaded');
      const res = await failed;
      assert.equal(res.status, 502);
      assert.match(((await res.json()) as { error: { message: string } }).error.message, /being reloaded/);
      assert.throws(() => queue.answer(taken.id, { content: 'late' }), (e: unknown) => e instanceof TrainerQueueError && e.reason === 'unknown-request');

      const abort = new AbortController();
      const gone = post(abort.signal).catch(() => null);
      while (queue.pending().length === 0) await new Promise((r) => setTimeout(r, 5));
      abort.abort();
      await gone;
      while (queue.pending().length > 0) await new Promise((r) => setTimeout(r, 5));
      assert.deepEqual(gateway.turns('sb-b').map((t) => t.response), [null, null]);
    } finally {
      await close();
    }
  });
});

describe('trainerRoutes', () => {
  it('lists, takes (long poll), answers and fails over HTTP, with 4xx for bad input', async () => {
    const { queue, gateway, base, close } = await trainerGateway();
    const routes = new (await import('hono')).Hono().route('/v1/trainer', trainerRoutes(queue));
    const call = async (method: string, path: string, body?: unknown): Promise<{ status: number; json: unknown }> => {
      const res = await routes.request(`/v1/trainer${path}`, { method, ...(body !== undefined ? { body: JSON.stringify(body), headers: { 'content-type': 'application/json' } } : {}) });
      return { status: res.status, json: res.status === 204 ? null : await res.json() };
    };
    try {
      assert.equal((await call('POST', '/requests/take?waitMs=10')).status, 204);
      assert.equal((await call('POST', '/requests/take?waitMs=-1')).status, 400);
      const { token } = gateway.register('sb-h');
      const agent = new OpenAI({ baseURL: `${base}/v1`, apiKey: token, maxRetries: 0 });
      const answered = agent.chat.completions.create({ model: 'p', messages: [{ role: 'user', content: 'hi' }] });
      const taken = await call('POST', '/requests/take?waitMs=5000');
      assert.equal(taken.status, 200);
      const id = (taken.json as { request: { id: string; api: string } }).request.id;
      const listed = (await call('GET', '/requests')).json as { requests: { id: string; taken: boolean }[] };
      assert.deepEqual(listed.requests.map((r) => [r.id, r.taken]), [[id, true]]);
      assert.equal((await call('POST', `/requests/${id}/answer`, { content: 7 })).status, 400);
      assert.equal((await call('POST', '/requests/nope/answer', { content: 'x' })).status, 404);
      assert.equal((await call('POST', `/requests/${id}/fail`, {})).status, 400);
      assert.equal((await call('POST', `/requests/${id}/answer`, { content: 'over HTTP' })).status, 204);
      assert.equal((await answered).choices[0]?.message.content, 'over HTTP');
      assert.equal((await call('POST', `/requests/${id}/fail`, { message: 'x' })).status, 404);
      assert.equal(gateway.turns('sb-h')[0]?.response?.content, 'over HTTP');
    } finally {
      await close();
    }
  });
});
