// Every API the gateway speaks, streamed and not, with tool calls, over real HTTP on 127.0.0.1:
// what the agent receives is byte for byte what the upstream sent (the fake server keeps every
// byte it wrote), and the stored turn holds the script's text, reasoning, calls and usage, and the
// request normalized to chat messages. Then the official SDKs (openai, @anthropic-ai/sdk) as the
// agent: they read the gateway's answers, proxied or rendered for a trainer, as their own APIs.
import { after, before, describe, it } from 'node:test';
import * as assert from 'node:assert/strict';
import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { startFakeModelServer, type FakeModelServer, type ScriptTurn } from '../../testing/fake-model-server.js';
import type { ApiName, Turn } from './gateway-wire.js';
import { ModelGateway } from './model-gateway.js';

const SCRIPT_TURN = {
  text: 'Let me look at the "files" — ünïcode.',
  reasoning: 'List first.',
  toolCalls: [
    { id: 'call_ls', name: 'bash', arguments: { command: 'ls -la "/workspace/dir with spaces"' } },
    { id: 'call_cat', name: 'read_file', arguments: { path: 'a.txt' } },
  ],
  usage: { prompt: 321, completion: 45 },
} satisfies ScriptTurn;

interface Case {
  readonly api: ApiName;
  readonly path: string;
  readonly headers: (token: string) => Record<string, string>;
  /** The request an agent of this API sends in its second turn, carrying the first turn's tool results. */
  readonly body: Record<string, unknown>;
}

const CASES: readonly Case[] = [
  {
    api: 'chat-completions',
    path: '/v1/chat/completions',
    headers: (t) => ({ authorization: `Bearer ${t}` }),
    body: {
      model: 'qwen',
      messages: [
        { role: 'system', content: 'You are qwen-code.' },
        { role: 'user', content: 'list the files' },
        { role: 'assistant', content: null, tool_calls: [{ id: 'call_0', type: 'function', function: { name: 'bash', arguments: '{"command":"pwd"}' } }] },
        { role: 'tool', tool_call_id: 'call_0', content: '/workspace' },
      ],
      tools: [{ type: 'function', function: { name: 'bash', description: 'Run bash', parameters: { type: 'object' } } }],
    },
  },
  {
    api: 'responses',
    path: '/v1/responses',
    headers: (t) => ({ authorization: `Bearer ${t}` }),
    body: {
      model: 'gpt-codex',
      instructions: 'You are codex.',
      input: [
        { type: 'message', role: 'user', content: [{ type: 'input_text', text: 'list the files' }] },
        { type: 'function_call', call_id: 'call_0', name: 'bash', arguments: '{"command":"pwd"}' },
        { type: 'function_call_output', call_id: 'call_0', output: '/workspace' },
      ],
      tools: [{ type: 'function', name: 'bash', description: 'Run bash', parameters: { type: 'object' }, strict: false }],
    },
  },
  {
    api: 'anthropic-messages',
    path: '/v1/messages?beta=true',
    headers: (t) => ({ 'x-api-key': t, 'anthropic-version': '2023-06-01' }),
    body: {
      model: 'claude',
      max_tokens: 1024,
      system: [{ type: 'text', text: 'You are Claude Code.' }],
      messages: [
        { role: 'user', content: 'list the files' },
        { role: 'assistant', content: [{ type: 'tool_use', id: 'call_0', name: 'bash', input: { command: 'pwd' } }] },
        { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'call_0', content: '/workspace' }] },
      ],
      tools: [{ name: 'bash', description: 'Run bash', input_schema: { type: 'object' } }],
    },
  },
];

/** What every case's request reads as, once normalized. */
const NORMALIZED = {
  messages: (system: string) => [
    { role: 'system', content: system },
    { role: 'user', content: 'list the files' },
    { role: 'assistant', content: null, tool_calls: [{ id: 'call_0', type: 'function', function: { name: 'bash', arguments: '{"command":"pwd"}' } }] },
    { role: 'tool', tool_call_id: 'call_0', content: '/workspace' },
  ],
};

let upstream: FakeModelServer;
let gateway: ModelGateway;
let base: string;
const turns: Turn[] = [];

before(async () => {
  upstream = await startFakeModelServer(Array.from({ length: 12 }, () => SCRIPT_TURN), { pieces: 4, writeBytes: 13 });
  gateway = new ModelGateway({
    upstream: [
      { baseUrl: upstream.baseUrl, apiKey: 'openai-key' },
      { baseUrl: upstream.url, apiKey: 'anthropic-key', protocol: 'anthropic' },
    ],
    onTurn: (t) => turns.push(t),
  });
  base = `http://127.0.0.1:${(await gateway.listen()).port}`;
});

after(async () => {
  await gateway?.close();
  await upstream?.close();
});

function lastTurn(): Promise<Turn> {
  const seen = turns.length;
  return new Promise((resolve) => {
    const check = (): void => {
      const t = turns[seen];
      if (t !== undefined) resolve(t);
      else setTimeout(check, 5);
    };
    check();
  });
}

describe('proxying each API: byte for byte, and the turn recorded', () => {
  for (const c of CASES) {
    for (const stream of [false, true]) {
      it(`${c.api}, ${stream ? 'streamed' : 'not streamed'}`, async () => {
        const sandbox = `sb-${c.api}-${stream}`;
        const { token } = gateway.register(sandbox);
        const recorded = lastTurn();
        const res = await fetch(`${base}${c.path}`, { method: 'POST', headers: { 'content-type': 'application/json', ...c.headers(token) }, body: JSON.stringify({ ...c.body, stream, ...(stream && c.api === 'chat-completions' ? { stream_options: { include_usage: true } } : {}) }) });
        assert.equal(res.status, 200);
        const received = Buffer.from(await res.arrayBuffer());
        const sent = upstream.sent.at(-1);
        assert.ok(sent !== undefined && sent.api === c.api);
        assert.equal(res.headers.get('content-type'), sent.contentType);
        assert.ok(received.equals(sent.bytes), `the agent received the upstream's ${sent.bytes.length} bytes exactly (got ${received.length})`);
        assert.ok(!stream || received.toString().includes('\n\n'), 'a real event stream');

        const turn = await recorded;
        assert.deepEqual([turn.sandboxId, turn.api, turn.stream, turn.index], [sandbox, c.api, stream, 1]);
        assert.deepEqual(turn.response, {
          role: 'assistant',
          content: SCRIPT_TURN.text,
          reasoning: SCRIPT_TURN.reasoning,
          tool_calls: (SCRIPT_TURN.toolCalls ?? []).map((t) => ({ id: t.id, type: 'function', function: { name: t.name, arguments: JSON.stringify(t.arguments) } })),
        });
        assert.deepEqual(turn.usage, SCRIPT_TURN.usage);
        assert.ok(turn.completionId?.includes('fake'));
        assert.ok(turn.finishReason !== undefined);
        const system = c.api === 'chat-completions' ? 'You are qwen-code.' : c.api === 'responses' ? 'You are codex.' : 'You are Claude Code.';
        assert.deepEqual(turn.request.messages, NORMALIZED.messages(system));
        assert.deepEqual(turn.request.tools.map((t) => [t.function.name, t.function.description, t.function.parameters]), [['bash', 'Run bash', { type: 'object' }]]);
        assert.deepEqual(gateway.unregister(sandbox), [turn]);
      });
    }
  }

  it('records the token ids and logprobs an upstream returns (vLLM-style chat, Responses logprobs)', async () => {
    const tokens = { promptIds: [101, 102, 103], completionIds: [7, 8], logprobs: [{ token: 'token_id:7', logprob: -0.25, tokenId: 7 }, { token: 'token_id:8', logprob: -1.5, tokenId: 8 }] };
    const server = await startFakeModelServer([{ text: 'Hi', tokens }, { text: 'Hi', tokens }, { text: 'Hi', tokens }], { pieces: 2 });
    const g = new ModelGateway({ upstream: { baseUrl: server.baseUrl } });
    try {
      const { token } = g.register('sb-t');
      for (const stream of [false, true]) {
        await (await g.app.request('/v1/chat/completions', { method: 'POST', headers: { authorization: `Bearer ${token}` }, body: JSON.stringify({ messages: [{ role: 'user', content: 'x' }], stream, logprobs: true, return_token_ids: true }) })).arrayBuffer();
      }
      await (await g.app.request('/v1/responses', { method: 'POST', headers: { authorization: `Bearer ${token}` }, body: JSON.stringify({ input: 'x', stream: true }) })).arrayBuffer();
      await new Promise((r) => setTimeout(r, 50));
      const [json, sse, responses] = g.turns('sb-t');
      assert.deepEqual(json?.tokens, tokens);
      assert.deepEqual(sse?.tokens, tokens);
      assert.deepEqual(responses?.tokens, { logprobs: tokens.logprobs });
    } finally {
      await server.close();
    }
  });
});

describe('the official SDKs as the agent', () => {
  const expectCalls = [['call_ls', 'bash', { command: 'ls -la "/workspace/dir with spaces"' }], ['call_cat', 'read_file', { path: 'a.txt' }]];

  async function throughSdks(label: string, g: ModelGateway, gBase: string): Promise<void> {
    const { token } = g.register(`sb-sdk-${label}`);
    const openai = new OpenAI({ baseURL: `${gBase}/v1`, apiKey: token, maxRetries: 0 });
    const anthropic = new Anthropic({ baseURL: gBase, apiKey: token, maxRetries: 0 });
    const messages = [{ role: 'user' as const, content: 'list' }];

    const chat = await openai.chat.completions.create({ model: 'm', messages });
    assert.equal(chat.choices[0]?.message.content, SCRIPT_TURN.text);
    assert.deepEqual(chat.choices[0]?.message.tool_calls?.map((t) => (t.type === 'function' ? [t.id, t.function.name, JSON.parse(t.function.arguments) as unknown] : [])), expectCalls);
    const chatStream = openai.chat.completions.stream({ model: 'm', messages, stream_options: { include_usage: true } });
    const streamed = await chatStream.finalChatCompletion();
    assert.equal(streamed.choices[0]?.message.content, SCRIPT_TURN.text);
    assert.deepEqual(streamed.choices[0]?.message.tool_calls?.map((t) => (t.type === 'function' ? [t.id, t.function.name, JSON.parse(t.function.arguments) as unknown] : [])), expectCalls);

    const response = await openai.responses.create({ model: 'm', input: 'list' });
    assert.equal(response.output_text, SCRIPT_TURN.text);
    const fromStream = await openai.responses.stream({ model: 'm', input: 'list' }).finalResponse();
    assert.equal(fromStream.output_text, SCRIPT_TURN.text);
    for (const r of [response, fromStream]) {
      assert.deepEqual(r.output.flatMap((o) => (o.type === 'function_call' ? [[o.call_id, o.name, JSON.parse(o.arguments) as unknown]] : [])), expectCalls);
      assert.equal(r.usage?.input_tokens, SCRIPT_TURN.usage?.prompt);
    }

    const message = await anthropic.messages.create({ model: 'm', max_tokens: 100, messages });
    const final = await anthropic.beta.messages.stream({ model: 'm', max_tokens: 100, messages }).finalMessage();
    for (const m of [message, final]) {
      assert.deepEqual(m.content.flatMap((b) => (b.type === 'text' ? [b.text] : [])), [SCRIPT_TURN.text]);
      assert.deepEqual(m.content.flatMap((b) => (b.type === 'thinking' ? [b.thinking] : [])), [SCRIPT_TURN.reasoning]);
      assert.deepEqual(m.content.flatMap((b) => (b.type === 'tool_use' ? [[b.id, b.name, b.input]] : [])), expectCalls);
      assert.equal(m.stop_reason, 'tool_use');
      assert.equal(m.usage.output_tokens, SCRIPT_TURN.usage?.completion);
    }
    const recorded = g.unregister(`sb-sdk-${label}`);
    assert.deepEqual(recorded.map((t) => [t.api, t.stream]), [
      ['chat-completions', false],
      ['chat-completions', true],
      ['responses', false],
      ['responses', true],
      ['anthropic-messages', false],
      ['anthropic-messages', true],
    ]);
    assert.ok(recorded.every((t) => t.response?.content === SCRIPT_TURN.text && t.response?.tool_calls.length === 2), JSON.stringify(recorded.map((t) => t.response)));
  }

  it('read proxied answers of each API, streamed and not', async () => {
    await throughSdks('proxy', gateway, base);
  });

  it("read a trainer's answers rendered in each API, streamed and not", async () => {
    const g = new ModelGateway({
      upstream: {
        answer: () =>
          Promise.resolve({
            content: SCRIPT_TURN.text,
            reasoning: SCRIPT_TURN.reasoning,
            tool_calls: (SCRIPT_TURN.toolCalls ?? []).map((t) => ({ id: t.id, function: { name: t.name, arguments: JSON.stringify(t.arguments) } })),
            usage: SCRIPT_TURN.usage,
          }),
      },
    });
    const port = (await g.listen()).port;
    try {
      await throughSdks('trainer', g, `http://127.0.0.1:${port}`);
    } finally {
      await g.close();
    }
  });
});
