import { describe, it } from 'node:test';
import * as assert from 'node:assert/strict';
import { startFakeOpenAiServer } from '../../testing/fake-openai-server.js';
import { readCompletionStream } from '../model/openai-stream.js';
import type { GatewayRequest, TrainerAnswer, Turn } from './gateway-wire.js';
import { GATEWAY_BASE_URL, ModelGateway, gatewayEnv } from './model-gateway.js';

const MESSAGES = [{ role: 'user', content: 'hi' }];
const TOOLS = [{ type: 'function', function: { name: 'bash', parameters: { type: 'object' } } }];
const CALL = { id: 'call_1', type: 'function' as const, function: { name: 'bash', arguments: '{"command":"ls"}' } };

function post(gateway: ModelGateway, token: string | null, body: unknown): Promise<Response> {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (token !== null) headers.authorization = `Bearer ${token}`;
  return Promise.resolve(gateway.app.request('/v1/chat/completions', { method: 'POST', headers, body: typeof body === 'string' ? body : JSON.stringify(body) }));
}

async function errorOf(res: Response): Promise<{ message: string; type: string; code: string | null }> {
  const body = (await res.json()) as { error: { message: string; type: string; code: string | null } };
  return body.error;
}

function trainer(answer: (sandboxId: string, request: GatewayRequest) => TrainerAnswer | Promise<TrainerAnswer>) {
  const seen: { sandboxId: string; request: GatewayRequest }[] = [];
  const turns: Turn[] = [];
  const gateway = new ModelGateway({
    upstream: {
      answer: async (sandboxId, request) => {
        seen.push({ sandboxId, request });
        return answer(sandboxId, request);
      },
    },
    onTurn: (t) => turns.push(t),
  });
  return { gateway, seen, turns };
}

describe('tokens', () => {
  it('a missing, malformed or unknown token is a 401 with an OpenAI error body, and nothing is answered', async () => {
    const { gateway, seen } = trainer(() => ({ content: 'x' }));
    gateway.register('sb-a');
    for (const [token, text] of [[null, 'missing'], ['pgw-forged', 'invalid']] as const) {
      const res = await post(gateway, token, { messages: MESSAGES });
      assert.equal(res.status, 401);
      const error = await errorOf(res);
      assert.equal(error.type, 'authentication_error');
      assert.equal(error.code, 'invalid_api_key');
      assert.match(error.message, new RegExp(text));
    }
    const raw = await gateway.app.request('/v1/models', { headers: { authorization: 'Basic abc' } });
    assert.equal(raw.status, 401);
    assert.equal(seen.length, 0);
  });

  it("each token ties requests to its own sandbox; an unregistered sandbox's token stops working", async () => {
    const { gateway, seen } = trainer((sandboxId) => ({ content: `for ${sandboxId}` }));
    const a = gateway.register('sb-a');
    const b = gateway.register('sb-b');
    assert.notEqual(a.token, b.token);
    assert.equal(a.baseUrl, GATEWAY_BASE_URL);
    assert.deepEqual(gatewayEnv(a), { OPENAI_BASE_URL: GATEWAY_BASE_URL, OPENAI_API_KEY: a.token });
    assert.equal((await post(gateway, a.token, { messages: MESSAGES })).status, 200);
    assert.equal((await post(gateway, b.token, { messages: MESSAGES })).status, 200);
    assert.deepEqual(seen.map((s) => s.sandboxId), ['sb-a', 'sb-b']);
    assert.equal(gateway.turns('sb-a').length, 1);
    assert.equal(gateway.turns('sb-b').length, 1);
    assert.throws(() => gateway.register('sb-a'), /already registered/);
    assert.equal(gateway.unregister('sb-a').length, 1);
    assert.equal((await post(gateway, a.token, { messages: MESSAGES })).status, 401);
    assert.deepEqual(gateway.turns('sb-a'), []);
  });
});

describe('validation', () => {
  it('rejects bodies that are not JSON or not a chat request, naming the field, before any answer', async () => {
    const { gateway, seen, turns } = trainer(() => ({ content: 'x' }));
    const { token } = gateway.register('sb-a');
    const cases: [unknown, RegExp][] = [
      ['{not json', /not JSON/],
      [{}, /messages/],
      [{ messages: [] }, /at least one message/],
      [{ messages: [{ role: 'wizard', content: 'x' }] }, /messages\[0\]/],
      [{ messages: [{ role: 'tool', content: 'x' }] }, /tool_call_id/],
      [{ messages: MESSAGES, n: 2 }, /n must be 1/],
      [{ messages: MESSAGES, tools: [{ type: 'function', function: {} }] }, /tools\[0\]\.function\.name/],
    ];
    for (const [body, pattern] of cases) {
      const res = await post(gateway, token, body);
      assert.equal(res.status, 400, JSON.stringify(body));
      const error = await errorOf(res);
      assert.equal(error.type, 'invalid_request_error');
      assert.match(error.message, pattern);
    }
    assert.equal(seen.length, 0);
    assert.equal(turns.length, 0);
  });

  it('refuses a body over the size limit with 413', async () => {
    const gateway = new ModelGateway({ upstream: { answer: () => Promise.resolve({ content: 'x' }) }, maxBodyBytes: 1000 });
    const { token } = gateway.register('sb-a');
    const res = await post(gateway, token, { messages: [{ role: 'user', content: 'x'.repeat(5000) }] });
    assert.equal(res.status, 413);
  });

  it('answers unknown routes with 404 in the OpenAI error shape', async () => {
    const { gateway } = trainer(() => ({ content: 'x' }));
    const { token } = gateway.register('sb-a');
    const res = await gateway.app.request('/v1/embeddings', { method: 'POST', headers: { authorization: `Bearer ${token}` } });
    assert.equal(res.status, 404);
    assert.equal((await errorOf(res)).code, 'not_found');
  });
});

describe('external trainer answers', () => {
  it('records the request and the trainer\'s tool call as a turn and returns an OpenAI completion', async () => {
    const { gateway, seen, turns } = trainer(() => ({ tool_calls: [CALL], usage: { prompt: 7, completion: 3 } }));
    const { token } = gateway.register('sb-a');
    const res = await post(gateway, token, { model: 'policy-v1', messages: MESSAGES, tools: TOOLS, temperature: 0.2 });
    assert.equal(res.status, 200);
    const body = (await res.json()) as { model: string; choices: { message: { tool_calls: unknown[] }; finish_reason: string }[]; usage: { total_tokens: number } };
    assert.equal(body.model, 'policy-v1');
    assert.deepEqual(body.choices[0]?.message.tool_calls, [CALL]);
    assert.equal(body.choices[0]?.finish_reason, 'tool_calls');
    assert.equal(body.usage.total_tokens, 10);
    assert.equal(seen[0]?.request.temperature, 0.2, 'sampling fields reach the trainer');
    const [turn] = gateway.turns('sb-a');
    assert.ok(turn);
    assert.deepEqual(turns, [turn]);
    assert.equal(turn.index, 1);
    assert.equal(turn.sandboxId, 'sb-a');
    assert.deepEqual(turn.request.messages, MESSAGES);
    assert.deepEqual(turn.request.tools, TOOLS);
    assert.deepEqual(turn.response, { role: 'assistant', content: null, tool_calls: [CALL] });
    assert.deepEqual(turn.usage, { prompt: 7, completion: 3 });
    assert.ok(turn.respondedAt >= turn.requestedAt);
  });

  it('streams the answer as SSE when asked', async () => {
    const { gateway } = trainer(() => ({ content: 'thinking', tool_calls: [CALL] }));
    const { token } = gateway.register('sb-a');
    const res = await post(gateway, token, { messages: MESSAGES, stream: true, stream_options: { include_usage: true } });
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /text\/event-stream/);
    assert.ok(res.body);
    const completion = await readCompletionStream(res.body);
    assert.equal(completion.text, 'thinking');
    assert.deepEqual(completion.toolCalls.map((c) => [c.id, c.name, c.arguments]), [['call_1', 'bash', { command: 'ls' }]]);
    assert.equal(gateway.turns('sb-a')[0]?.response?.content, 'thinking');
  });

  it('a trainer that throws or answers nonsense is a 502 and a turn with an error', async () => {
    let n = 0;
    const { gateway } = trainer(() => {
      n += 1;
      if (n === 1) throw new Error('trainer offline');
      return { content: 42 } as unknown as TrainerAnswer;
    });
    const { token } = gateway.register('sb-a');
    for (const pattern of [/trainer offline/, /content/]) {
      const res = await post(gateway, token, { messages: MESSAGES });
      assert.equal(res.status, 502);
      assert.match((await errorOf(res)).message, pattern);
    }
    const turns = gateway.turns('sb-a');
    assert.deepEqual(turns.map((t) => [t.index, t.response]), [[1, null], [2, null]]);
    assert.match(turns[0]?.error ?? '', /trainer offline/);
  });

  it('holds a request until the observers of its turn have finished', async () => {
    const order: string[] = [];
    const { gateway } = trainer(() => {
      order.push('answer');
      return { content: 'ok' };
    });
    const { token } = gateway.register('sb-a');
    gateway.observe('sb-a', {
      onRequest: async (r) => {
        order.push(`request ${r.index}`);
        await new Promise((resolve) => setTimeout(resolve, 30));
        order.push('observer done');
      },
      onTurn: (t) => order.push(`turn ${t.index}`),
    });
    await post(gateway, token, { messages: MESSAGES });
    assert.deepEqual(order, ['request 1', 'observer done', 'answer', 'turn 1']);
  });

  it('lists the configured model', async () => {
    const gateway = new ModelGateway({ upstream: { answer: () => Promise.resolve({ content: 'x' }) }, models: ['policy-v1'] });
    const { token } = gateway.register('sb-a');
    const res = await gateway.app.request('/v1/models', { headers: { authorization: `Bearer ${token}` } });
    const body = (await res.json()) as { data: { id: string }[] };
    assert.deepEqual(body.data.map((m) => m.id), ['policy-v1']);
  });
});

describe('OpenAI-compatible upstream (127.0.0.1 fake)', () => {
  it('forwards with praetor\'s key and model, never the sandbox token, and records the turn', async () => {
    const upstream = await startFakeOpenAiServer([{ toolCalls: [{ id: 'call_9', name: 'bash', arguments: { command: 'pwd' } }] }]);
    try {
      const gateway = new ModelGateway({ upstream: { baseUrl: upstream.baseUrl, apiKey: 'upstream-key', model: 'served-model' } });
      const { token } = gateway.register('sb-a');
      const res = await post(gateway, token, { model: 'gpt-expensive', messages: MESSAGES, tools: TOOLS });
      assert.equal(res.status, 200);
      const request = upstream.requests[0];
      assert.equal(request?.authorization, 'Bearer upstream-key');
      assert.equal(request?.body.model, 'served-model');
      assert.deepEqual(request?.body.tools, TOOLS);
      const turn = gateway.turns('sb-a')[0];
      assert.deepEqual(turn?.response?.tool_calls, [{ id: 'call_9', type: 'function', function: { name: 'bash', arguments: '{"command":"pwd"}' } }]);
      assert.deepEqual(turn?.usage, { prompt: 10, completion: 5 });
      assert.equal(turn?.completionId, 'chatcmpl-fake');
    } finally {
      await upstream.close();
    }
  });

  it('passes a stream through while accumulating it for the record', async () => {
    const upstream = await startFakeOpenAiServer([{ text: 'hello there', toolCalls: [{ name: 'bash', arguments: { command: 'ls -la' } }] }], { writeBytes: 7 });
    try {
      const gateway = new ModelGateway({ upstream: { baseUrl: upstream.baseUrl } });
      const { token } = gateway.register('sb-a');
      const ended = new Promise<Turn>((resolve) => gateway.observe('sb-a', { onTurn: resolve }));
      const res = await post(gateway, token, { messages: MESSAGES, stream: true });
      assert.ok(res.body);
      const completion = await readCompletionStream(res.body);
      assert.equal(completion.text, 'hello there');
      const turn = await ended;
      assert.equal(turn.response?.content, 'hello there');
      assert.deepEqual(turn.response?.tool_calls.map((c) => c.function.arguments), ['{"command":"ls -la"}']);
    } finally {
      await upstream.close();
    }
  });

  it('an upstream failure is a 502 for the agent and an error turn; an unreachable one too', async () => {
    const upstream = await startFakeOpenAiServer([{ status: 500 }, { status: 429 }]);
    const gateway = new ModelGateway({ upstream: { baseUrl: upstream.baseUrl } });
    const { token } = gateway.register('sb-a');
    try {
      const first = await post(gateway, token, { messages: MESSAGES });
      assert.equal(first.status, 502);
      assert.match((await errorOf(first)).message, /HTTP 500/);
      assert.equal((await post(gateway, token, { messages: MESSAGES })).status, 429, 'rate limits reach the agent as such');
    } finally {
      await upstream.close();
    }
    const gone = await post(gateway, token, { messages: MESSAGES });
    assert.equal(gone.status, 502);
    assert.match((await errorOf(gone)).message, /unreachable/);
    assert.deepEqual(gateway.turns('sb-a').map((t) => t.response), [null, null, null]);
  });

  it('serves over HTTP on 127.0.0.1 when listening', async () => {
    const gateway = new ModelGateway({ upstream: { answer: () => Promise.resolve({ content: 'over the wire' }) } });
    const { port } = await gateway.listen();
    try {
      const { token } = gateway.register('sb-a');
      const res = await fetch(`http://127.0.0.1:${port}/v1/chat/completions`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: JSON.stringify({ messages: MESSAGES }),
      });
      const body = (await res.json()) as { choices: { message: { content: string } }[] };
      assert.equal(body.choices[0]?.message.content, 'over the wire');
    } finally {
      await gateway.close();
    }
  });
});
