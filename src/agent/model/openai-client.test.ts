import { describe, it, afterEach } from 'node:test';
import * as assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ToolRegistry } from '../tools/tool-registry.js';
import { startFakeOpenAiServer, type FakeOpenAiServer, type FakeOpenAiServerOptions, type FakeResponse } from '../../testing/fake-openai-server.js';
import { ModelError, type ChatMessage } from './model-client.js';
import { OpenAiClient } from './openai-client.js';

const messages: ChatMessage[] = [{ role: 'user', content: 'list the files' }];
const tools = new ToolRegistry().declarations();

describe('OpenAiClient', () => {
  let server: FakeOpenAiServer | null = null;
  afterEach(async () => {
    await server?.close();
    server = null;
  });
  async function start(script: FakeResponse[], options?: FakeOpenAiServerOptions): Promise<OpenAiClient> {
    server = await startFakeOpenAiServer(script, options);
    return new OpenAiClient({ baseUrl: `${server.baseUrl}/`, model: 'fake-model', apiKey: 'sk-test', timeoutMs: 5000 });
  }

  for (const stream of [false, true]) {
    const mode = stream ? 'streaming' : 'non-streaming';

    it(`${mode}: returns tool calls with parsed arguments and the usage`, async () => {
      const client = await start([
        {
          text: 'Let me look.',
          toolCalls: [
            { id: 'call_a', name: 'bash', arguments: { command: 'ls -la "/workspace/dir with spaces"', timeout_seconds: 5 } },
            { id: 'call_b', name: 'read_file', arguments: { path: 'ünïcode.txt' } },
          ],
          usage: { prompt: 120, completion: 34 },
        },
      ]);
      const completion = await client.complete({ messages, tools, stream });
      assert.deepEqual(completion, {
        id: 'chatcmpl-fake',
        text: 'Let me look.',
        toolCalls: [
          {
            id: 'call_a',
            name: 'bash',
            rawArguments: '{"command":"ls -la \\"/workspace/dir with spaces\\"","timeout_seconds":5}',
            arguments: { command: 'ls -la "/workspace/dir with spaces"', timeout_seconds: 5 },
            error: null,
          },
          { id: 'call_b', name: 'read_file', rawArguments: '{"path":"ünïcode.txt"}', arguments: { path: 'ünïcode.txt' }, error: null },
        ],
        finishReason: 'tool_calls',
        usage: { prompt: 120, completion: 34 },
      });
      const request = server?.requests[0];
      assert.equal(request?.path, '/v1/chat/completions');
      assert.equal(request?.authorization, 'Bearer sk-test');
      assert.equal(request?.body.model, 'fake-model');
      assert.deepEqual(request?.body.messages, messages);
      assert.deepEqual(request?.body.tools, tools);
      assert.equal(request?.body.tool_choice, 'auto');
      assert.equal(request?.body.stream, stream ? true : undefined);
      assert.deepEqual(request?.body.stream_options, stream ? { include_usage: true } : undefined);
    });

    it(`${mode}: returns plain text with no tool calls`, async () => {
      const client = await start([{ text: 'All done: 3 files.' }]);
      const completion = await client.complete({ messages, stream });
      assert.equal(completion.text, 'All done: 3 files.');
      assert.deepEqual(completion.toolCalls, []);
      assert.equal(completion.finishReason, 'stop');
      assert.equal(server?.requests[0]?.body.tools, undefined);
    });

    it(`${mode}: gives arguments that are not a JSON object back as an error`, async () => {
      const client = await start([
        { toolCalls: [{ id: 'c1', name: 'bash', arguments: '{"command": "ls' }, { id: 'c2', name: 'bash', arguments: '[1]' }] },
      ]);
      const [broken, array] = (await client.complete({ messages, tools, stream })).toolCalls;
      assert.equal(broken?.arguments, null);
      assert.equal(broken?.rawArguments, '{"command": "ls');
      assert.match(broken?.error ?? '', /^arguments are not valid JSON: /);
      assert.equal(array?.error, 'arguments must be a JSON object');
    });
  }

  it('streaming: joins argument fragments split over many chunks and writes cut mid-line', async () => {
    const args = { path: 'notes/ünïcode — ✓.md', content: 'line 1\nline 2 "quoted" \\ backslash\n'.repeat(20) };
    const client = await start([{ toolCalls: [{ name: 'write_file', arguments: args }], usage: { prompt: 7, completion: 9 } }], {
      argumentPieces: 17,
      writeBytes: 5,
    });
    const completion = await client.complete({ messages, tools, stream: true });
    assert.equal(completion.toolCalls.length, 1);
    assert.deepEqual(completion.toolCalls[0]?.arguments, args);
    assert.equal(completion.toolCalls[0]?.id, 'call_fake_0_0');
    assert.deepEqual(completion.usage, { prompt: 7, completion: 9 });
  });

  it('reports an HTTP error with its status and the server message', async () => {
    const client = await start([{ status: 503 }]);
    await assert.rejects(client.complete({ messages }), (err: unknown) => {
      assert.ok(err instanceof ModelError);
      assert.equal(err.code, 'http');
      assert.equal(err.status, 503);
      assert.match(err.message, /HTTP 503 .*fake error 503/);
      return true;
    });
  });

  it('reports a body that is not JSON, and one of the wrong shape', async () => {
    const client = await start([{ rawBody: '{"choices": [' }, { rawBody: '{"choices": []}' }]);
    await assert.rejects(client.complete({ messages }), (err: unknown) => err instanceof ModelError && err.code === 'bad-json');
    await assert.rejects(
      client.complete({ messages }),
      (err: unknown) => err instanceof ModelError && err.code === 'bad-response' && err.message.includes('choices: no choices in the response'),
    );
  });

  it('times out, and tells a cancellation apart', async () => {
    server = await startFakeOpenAiServer([{ text: 'late', delayMs: 2000 }, { text: 'late', delayMs: 2000 }]);
    const client = new OpenAiClient({ baseUrl: server.baseUrl, model: 'm', timeoutMs: 100 });
    await assert.rejects(client.complete({ messages }), (err: unknown) => err instanceof ModelError && err.code === 'timeout');
    const patient = new OpenAiClient({ baseUrl: server.baseUrl, model: 'm' });
    await assert.rejects(patient.complete({ messages, signal: AbortSignal.timeout(50) }), (err: unknown) => err instanceof ModelError && err.code === 'aborted');
  });

  it('reports a refused connection as a network error', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const { port } = closed.address() as AddressInfo;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const client = new OpenAiClient({ baseUrl: `http://127.0.0.1:${port}/v1`, model: 'm' });
    await assert.rejects(client.complete({ messages }), (err: unknown) => err instanceof ModelError && err.code === 'network' && err.message.includes('ECONNREFUSED'));
  });

  it('reports a stream that ends early, and an error event in the stream', async () => {
    const sse = (body: string) => {
      const s = createServer((_req, res) => {
        res.writeHead(200, { 'content-type': 'text/event-stream' });
        res.end(body);
      });
      return new Promise<{ url: string; close: () => void }>((resolve) =>
        s.listen(0, '127.0.0.1', () => resolve({ url: `http://127.0.0.1:${(s.address() as AddressInfo).port}/v1`, close: () => s.close() })),
      );
    };
    const early = await sse('data: {"choices":[{"index":0,"delta":{"content":"hal"}}]}\n\n');
    await assert.rejects(
      new OpenAiClient({ baseUrl: early.url, model: 'm' }).complete({ messages, stream: true }),
      (err: unknown) => err instanceof ModelError && err.code === 'bad-response' && /ended before/.test(err.message),
    );
    early.close();
    const failing = await sse('data: {"error":{"message":"out of memory"}}\n\n');
    await assert.rejects(
      new OpenAiClient({ baseUrl: failing.url, model: 'm' }).complete({ messages, stream: true }),
      (err: unknown) => err instanceof ModelError && err.message === 'server error in stream: out of memory',
    );
    failing.close();
  });
});
