// The gateway's own rules, whatever the API: tokens (Bearer or x-api-key) tie requests to one
// sandbox, bad requests are refused in the API's error shape before anything is answered, an
// external trainer's answer is recorded and rendered, observers hold a request, upstream failures.
import { describe, it } from 'node:test';
import * as assert from 'node:assert/strict';
import { startFakeModelServer } from '../../testing/fake-model-server.js';
import { foldStream, type TrainerRequest } from './gateway-responder.js';
import { chatCompletionsApi } from './apis/chat-completions-api.js';
import type { TrainerAnswer, Turn } from './gateway-wire.js';
import { GATEWAY_BASE_URL, ModelGateway, gatewayEnv } from './model-gateway.js';

const MESSAGES = [{ role: 'user', content: 'hi' }];
const TOOLS = [{ type: 'function', function: { name: 'bash', parameters: { type: 'object' } } }];
const CALL = { id: 'call_1', type: 'function' as const, function: { name: 'bash', arguments: '{"command":"ls"}' } };

function post(gateway: ModelGateway, token: string | null, body: unknown, path = '/v1/chat/completions', header = 'authorization'): Promise<Response> {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (token !== null) headers[header] = header === 'authorization' ? `Bearer ${token}` : token;
  return Promise.resolve(gateway.app.request(path, { method: 'POST', headers, body: typeof body === 'string' ? body : JSON.stringify(body) }));
}

async function errorOf(res: Response): Promise<{ message: string; type: string; code?: string | null }> {
  const body = (await res.json()) as { error: { message: string; type: string; code?: string | null } };
  return body.error;
}

function trainer(answer: (request: TrainerRequest) => TrainerAnswer | Promise<TrainerAnswer>) {
  const seen: TrainerRequest[] = [];
  const turns: Turn[] = [];
  const gateway = new ModelGateway({
    upstream: {
      answer: async (request: TrainerRequest) => {
        seen.push(request);
        return answer(request);
      },
    },
    onTurn: (t) => turns.push(t),
  });
  return { gateway, seen, turns };
}

describe('tokens', () => {
  it('a missing, malformed or unknown token is a 401 in the API\'s error shape, and nothing is answered', async () => {
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
    const anthropic = await post(gateway, 'pgw-forged', { messages: MESSAGES }, '/v1/messages', 'x-api-key');
    assert.equal(anthropic.status, 401);
    assert.deepEqual(Object.keys((await anthropic.json()) as object), ['type', 'error'], 'Anthropic clients get {type: error, error}');
    const raw = await gateway.app.request('/v1/models', { headers: { authorization: 'Basic abc' } });
    assert.equal(raw.status, 401);
    assert.equal(seen.length, 0);
  });

  it("each token ties requests to its own sandbox, sent as Bearer or x-api-key; an unregistered sandbox's token stops working", async () => {
    const { gateway, seen } = trainer((r) => ({ content: `for ${r.sandboxId}` }));
    const a = gateway.register('sb-a');
    const b = gateway.register('sb-b');
    assert.notEqual(a.token, b.token);
    assert.equal(a.baseUrl, GATEWAY_BASE_URL);
    assert.deepEqual(gatewayEnv(a), {
      OPENAI_BASE_URL: GATEWAY_BASE_URL,
      OPENAI_API_KEY: a.token,
      ANTHROPIC_BASE_URL: 'http://gateway.praetor.internal',
      ANTHROPIC_API_KEY: a.token,
    });
    assert.equal((await post(gateway, a.token, { messages: MESSAGES })).status, 200);
    assert.equal((await post(gateway, b.token, { model: 'm', max_tokens: 10, messages: MESSAGES }, '/v1/messages?beta=true', 'x-api-key')).status, 200);
    assert.deepEqual(seen.map((s) => [s.sandboxId, s.api]), [['sb-a', 'chat-completions'], ['sb-b', 'anthropic-messages']]);
    assert.equal(gateway.turns('sb-a').length, 1);
    assert.equal(gateway.turns('sb-b').length, 1);
    assert.throws(() => gateway.register('sb-a'), /already registered/);
    assert.equal(gateway.unregister('sb-a').length, 1);
    assert.equal((await post(gateway, a.token, { messages: MESSAGES })).status, 401);
    assert.deepEqual(gateway.turns('sb-a'), []);
  });
});

describe('validation', () => {
  it('rejects bodies that are not JSON or not a request of the route\'s API, naming the field, before any answer', async () => {
    const { gateway, seen, turns } = trainer(() => ({ content: 'x' }));
    const { token } = gateway.register('sb-a');
    const cases: [string, unknown, RegExp][] = [
      ['/v1/chat/completions', '{not json', /not JSON/],
      ['/v1/chat/completions', {}, /messages/],
      ['/v1/chat/completions', { messages: [] }, /at least one message/],
      ['/v1/chat/completions', { messages: [{ role: 'wizard', content: 'x' }] }, /messages\[0\]/],
      ['/v1/chat/completions', { messages: [{ role: 'tool', content: 'x' }] }, /tool_call_id/],
      ['/v1/chat/completions', { messages: MESSAGES, n: 2 }, /n must be 1/],
      ['/v1/chat/completions', { messages: MESSAGES, tools: [{ type: 'function', function: {} }] }, /tools\[0\]\.function\.name/],
      ['/v1/responses', { model: 'm' }, /input/],
      ['/v1/responses', { input: [{ type: 'function_call_output', output: 'x' }] }, /input\[0\]\.call_id/],
      ['/v1/messages', { max_tokens: 5 }, /messages/],
      ['/v1/messages', { messages: [{ role: 'assistant', content: [{ type: 'tool_use', name: 'bash' }] }] }, /messages\[0\]\.content\[0\]\.id/],
    ];
    for (const [path, body, pattern] of cases) {
      const res = await post(gateway, token, body, path);
      assert.equal(res.status, 400, `${path} ${JSON.stringify(body)}`);
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

  it('answers unknown routes with 404 in the API\'s error shape', async () => {
    const { gateway } = trainer(() => ({ content: 'x' }));
    const { token } = gateway.register('sb-a');
    const res = await gateway.app.request('/v1/embeddings', { method: 'POST', headers: { authorization: `Bearer ${token}` } });
    assert.equal(res.status, 404);
    assert.equal((await errorOf(res)).code, 'not_found');
    const anthropic = await gateway.app.request('/v1/messages/batches', { method: 'POST', headers: { 'x-api-key': token } });
    assert.equal((await errorOf(anthropic)).type, 'not_found_error');
  });
});

describe('external trainer answers', () => {
  it("records the request and the trainer's tool call as a turn and returns an OpenAI completion", async () => {
    const { gateway, seen, turns } = trainer(() => ({ tool_calls: [CALL], usage: { prompt: 7, completion: 3 } }));
    const { token } = gateway.register('sb-a');
    const res = await post(gateway, token, { model: 'policy-v1', messages: MESSAGES, tools: TOOLS, temperature: 0.2 });
    assert.equal(res.status, 200);
    const body = (await res.json()) as { model: string; choices: { message: { tool_calls: unknown[] }; finish_reason: string }[]; usage: { total_tokens: number } };
    assert.equal(body.model, 'policy-v1');
    assert.deepEqual(body.choices[0]?.message.tool_calls, [CALL]);
    assert.equal(body.choices[0]?.finish_reason, 'tool_calls');
    assert.equal(body.usage.total_tokens, 10);
    assert.equal(seen[0]?.body.temperature, 0.2, 'sampling fields reach the trainer');
    assert.deepEqual(seen[0]?.request.messages, MESSAGES);
    const [turn] = gateway.turns('sb-a');
    assert.ok(turn);
    assert.deepEqual(turns, [turn]);
    assert.equal(turn.id, seen[0]?.id, 'the trainer sees the turn it answers');
    assert.deepEqual([turn.index, turn.sandboxId, turn.api, turn.model, turn.stream], [1, 'sb-a', 'chat-completions', 'policy-v1', false]);
    assert.deepEqual(turn.request.messages, MESSAGES);
    assert.deepEqual(turn.request.tools, TOOLS);
    assert.deepEqual(turn.response, { role: 'assistant', content: null, tool_calls: [CALL] });
    assert.deepEqual(turn.usage, { prompt: 7, completion: 3 });
    assert.equal(turn.finishReason, 'tool_calls');
    assert.ok(turn.respondedAt >= turn.requestedAt);
  });

  it('streams the answer as SSE when asked, and keeps the token ids the trainer gave', async () => {
    const tokens = { promptIds: [1, 2], completionIds: [3, 4, 5], logprobs: [{ token: 'x', logprob: -0.1, tokenId: 3 }] };
    const { gateway } = trainer(() => ({ content: 'thinking', tool_calls: [CALL], tokens }));
    const { token } = gateway.register('sb-a');
    const res = await post(gateway, token, { messages: MESSAGES, stream: true, stream_options: { include_usage: true } });
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /text\/event-stream/);
    assert.ok(res.body);
    const completion = await foldStream(chatCompletionsApi, res.body);
    assert.equal(completion.message.content, 'thinking');
    assert.deepEqual(completion.message.tool_calls, [CALL]);
    const turn = gateway.turns('sb-a')[0];
    assert.equal(turn?.response?.content, 'thinking');
    assert.deepEqual(turn?.tokens, tokens);
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

describe('upstream failures', () => {
  it('forwards with praetor\'s key and model, never the sandbox token', async () => {
    const upstream = await startFakeModelServer([{ text: 'ok' }, { text: 'ok' }]);
    try {
      const gateway = new ModelGateway({
        upstream: [
          { baseUrl: upstream.baseUrl, apiKey: 'openai-key', model: 'served-model' },
          { baseUrl: upstream.url, apiKey: 'anthropic-key', protocol: 'anthropic' },
        ],
      });
      const { token } = gateway.register('sb-a');
      assert.equal((await post(gateway, token, { model: 'gpt-expensive', messages: MESSAGES, tools: TOOLS })).status, 200);
      const anthropic = await gateway.app.request('/v1/messages?beta=true', {
        method: 'POST',
        headers: { 'x-api-key': token, 'anthropic-version': '2023-06-01', 'anthropic-beta': 'tools-1', 'user-agent': 'agent/1' },
        body: JSON.stringify({ model: 'claude', max_tokens: 10, messages: MESSAGES }),
      });
      assert.equal(anthropic.status, 200);
      const [openai, claude] = upstream.requests;
      assert.deepEqual([openai?.authorization, openai?.apiKey, openai?.body.model], ['Bearer openai-key', null, 'served-model']);
      assert.deepEqual([claude?.path, claude?.apiKey, claude?.authorization], ['/v1/messages', 'anthropic-key', null]);
      assert.equal(claude?.headers['anthropic-beta'], 'tools-1');
      assert.equal(claude?.headers['anthropic-version'], '2023-06-01');
      assert.notEqual(claude?.headers['user-agent'], 'agent/1', "the agent's other headers stay behind");
      assert.ok(!JSON.stringify(upstream.requests).includes(token));
    } finally {
      await upstream.close();
    }
  });

  it('an upstream failure is a 502 for the agent and an error turn; a rate limit passes; an unreachable one is a 502; an API without upstream a 404', async () => {
    const upstream = await startFakeModelServer([{ status: 500 }, { status: 429 }]);
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
    const noAnthropic = await post(gateway, token, { messages: MESSAGES }, '/v1/messages');
    assert.equal(noAnthropic.status, 404);
    assert.match((await errorOf(noAnthropic)).message, /no anthropic-compatible upstream/);
    assert.deepEqual(gateway.turns('sb-a').map((t) => t.response), [null, null, null, null]);
  });
});
