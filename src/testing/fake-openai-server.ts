// A local OpenAI-compatible server for tests: POST /v1/chat/completions answered from a script,
// streamed (SSE, tool-call arguments split over several chunks) when the request asks, and every
// request recorded. Listens on 127.0.0.1 only.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { TokenUsage } from '../agent/policies/policy.js';

export interface FakeToolCall {
  id?: string;
  name: string;
  /** A string is sent as is (so tests can send broken JSON); an object is serialised. */
  arguments: string | Record<string, unknown>;
}

export interface FakeResponse {
  text?: string;
  toolCalls?: FakeToolCall[];
  /** Default: 10 prompt, 5 completion tokens. */
  usage?: TokenUsage;
  finishReason?: string;
  /** Answer with this HTTP status and an OpenAI-style error body instead. */
  status?: number;
  /** Send this body verbatim (status 200, JSON content type), e.g. broken JSON. */
  rawBody?: string;
  /** Wait this long before answering. */
  delayMs?: number;
}

export interface RecordedRequest {
  method: string;
  path: string;
  authorization: string | null;
  body: Record<string, unknown>;
}

export interface FakeOpenAiServerOptions {
  /** Pieces each tool call's arguments are split into when streaming (default 3). */
  argumentPieces?: number;
  /** When set, the SSE text is written in pieces of this many bytes, splitting lines and events. */
  writeBytes?: number;
}

export interface FakeOpenAiServer {
  /** e.g. http://127.0.0.1:PORT/v1 */
  readonly baseUrl: string;
  readonly requests: RecordedRequest[];
  /** Responses not yet used. */
  remaining(): number;
  close(): Promise<void>;
}

export async function startFakeOpenAiServer(script: readonly FakeResponse[], options: FakeOpenAiServerOptions = {}): Promise<FakeOpenAiServer> {
  const queue = [...script];
  const requests: RecordedRequest[] = [];
  const timers = new Set<NodeJS.Timeout>();
  const server = createServer((req, res) => {
    void readBody(req).then((text) => {
      const path = req.url ?? '/';
      if (req.method !== 'POST' || !path.endsWith('/chat/completions')) return sendError(res, 404, `no route ${req.method ?? ''} ${path}`);
      let body: Record<string, unknown>;
      try {
        body = JSON.parse(text) as Record<string, unknown>;
      } catch {
        return sendError(res, 400, 'request body is not JSON');
      }
      requests.push({ method: req.method, path, authorization: req.headers.authorization ?? null, body });
      const response = queue.shift();
      if (response === undefined) return sendError(res, 500, 'fake server: script exhausted');
      const timer = setTimeout(() => {
        timers.delete(timer);
        answer(res, response, body, options);
      }, response.delayMs ?? 0);
      timers.add(timer);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    baseUrl: `http://127.0.0.1:${port}/v1`,
    requests,
    remaining: () => queue.length,
    close: () =>
      new Promise<void>((resolve) => {
        for (const timer of timers) clearTimeout(timer);
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', () => resolve(''));
  });
}

function sendError(res: ServerResponse, status: number, message: string): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify({ error: { message, type: 'fake_error' } }));
}

function answer(res: ServerResponse, response: FakeResponse, request: Record<string, unknown>, options: FakeOpenAiServerOptions): void {
  if (response.status !== undefined) return sendError(res, response.status, `fake error ${response.status}`);
  if (response.rawBody !== undefined) {
    res.writeHead(200, { 'content-type': 'application/json' });
    return void res.end(response.rawBody);
  }
  const calls = (response.toolCalls ?? []).map((c, i) => ({
    id: c.id ?? `call_fake_${i}`,
    name: c.name,
    arguments: typeof c.arguments === 'string' ? c.arguments : JSON.stringify(c.arguments),
  }));
  const finish = response.finishReason ?? (calls.length > 0 ? 'tool_calls' : 'stop');
  const usage = response.usage ?? { prompt: 10, completion: 5 };
  const wireUsage = { prompt_tokens: usage.prompt, completion_tokens: usage.completion, total_tokens: usage.prompt + usage.completion };
  if (request.stream !== true) {
    const toolCalls = calls.map((c) => ({ id: c.id, type: 'function', function: { name: c.name, arguments: c.arguments } }));
    const message = { role: 'assistant', content: response.text ?? null, ...(toolCalls.length > 0 ? { tool_calls: toolCalls } : {}) };
    res.writeHead(200, { 'content-type': 'application/json' });
    return void res.end(JSON.stringify({ id: 'chatcmpl-fake', object: 'chat.completion', choices: [{ index: 0, message, finish_reason: finish }], usage: wireUsage }));
  }
  const events = streamEvents(response.text, calls, finish, options.argumentPieces ?? 3);
  const streamOptions = request.stream_options as { include_usage?: boolean } | undefined;
  if (streamOptions?.include_usage === true) events.push({ id: 'chatcmpl-fake', choices: [], usage: wireUsage });
  const sse = events.map((e) => `data: ${JSON.stringify(e)}\n\n`).join('') + 'data: [DONE]\n\n';
  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
  writeInPieces(res, Buffer.from(sse), options.writeBytes ?? sse.length);
}

function streamEvents(text: string | undefined, calls: { id: string; name: string; arguments: string }[], finish: string, pieces: number): object[] {
  const chunk = (delta: object, finishReason: string | null = null) => ({
    id: 'chatcmpl-fake',
    object: 'chat.completion.chunk',
    choices: [{ index: 0, delta, finish_reason: finishReason }],
  });
  const events: object[] = [chunk({ role: 'assistant', content: '' })];
  for (const piece of split(text ?? '', 3)) events.push(chunk({ content: piece }));
  calls.forEach((c, index) => {
    events.push(chunk({ tool_calls: [{ index, id: c.id, type: 'function', function: { name: c.name, arguments: '' } }] }));
    for (const piece of split(c.arguments, pieces)) events.push(chunk({ tool_calls: [{ index, function: { arguments: piece } }] }));
  });
  events.push(chunk({}, finish));
  return events;
}

/** `text` in `n` pieces of about equal length (none when empty). */
function split(text: string, n: number): string[] {
  if (text === '') return [];
  const size = Math.max(1, Math.ceil(text.length / n));
  const out: string[] = [];
  for (let i = 0; i < text.length; i += size) out.push(text.slice(i, i + size));
  return out;
}

function writeInPieces(res: ServerResponse, data: Buffer, size: number): void {
  let offset = 0;
  const step = (): void => {
    if (res.destroyed) return;
    if (offset >= data.length) return void res.end();
    res.write(data.subarray(offset, offset + size));
    offset += size;
    setImmediate(step);
  };
  step();
}
