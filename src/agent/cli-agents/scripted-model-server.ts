// A scripted model server for tests, the red team and the demo, to drive real agent CLIs offline:
// it plays a list of assistant turns (text, reasoning, tool calls), written once, whatever API the
// agent speaks (a shell call is sent as the agent's own shell tool, picked from the tools its
// request offers, so one script drives qwen-code, claude-code and codex alike), and
// renders each turn in the wire format of the API it was asked in: OpenAI chat completions
// (qwen-code), OpenAI Responses (codex), Anthropic Messages (claude-code), streamed (text and
// arguments split over several deltas, bytes written in pieces when asked) or not. Every request
// and the exact bytes of every answer are kept. Listens on 127.0.0.1 only.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { readFile } from 'node:fs/promises';
import { parseDocument } from 'yaml';
import { z } from 'zod';
import { formatIssues } from '../../core/schema-issues.js';
import type { ModelApi } from '../gateway/apis/model-api.js';
import { MODEL_APIS } from '../gateway/apis/model-apis.js';
import { customToolNames } from '../gateway/apis/responses-api.js';
import { sseText } from '../gateway/apis/sse.js';
import { TurnTokensSchema, type ApiName, type Completion } from '../gateway/gateway-wire.js';

export const NamedToolCallSchema = z.strictObject({
  id: z.string().min(1).optional().describe("Made up in the API's style when absent."),
  name: z.string().min(1),
  arguments: z
    .union([z.string(), z.record(z.string(), z.unknown())])
    .default({})
    .describe('An object is serialised; a string is sent as is (so a test can send broken JSON).'),
});

export const ShellToolCallSchema = z.strictObject({
  id: z.string().min(1).optional(),
  shell: z.string().min(1).describe("A shell command, sent as a call of the agent's own shell tool (see SHELL_TOOLS)."),
});

export const ScriptToolCallSchema = z.union([NamedToolCallSchema, ShellToolCallSchema]);

export const ScriptTurnSchema = z.strictObject({
  text: z.string().optional(),
  reasoning: z.string().optional().describe('Thinking (Anthropic), reasoning summary (Responses), reasoning_content (chat).'),
  toolCalls: z.array(ScriptToolCallSchema).optional(),
  usage: z.strictObject({ prompt: z.number().int().nonnegative(), completion: z.number().int().nonnegative() }).optional().describe('Default 10 prompt, 5 completion tokens.'),
  finishReason: z.string().optional().describe("In the API's terms; the natural one when absent."),
  tokens: TurnTokensSchema.optional().describe('Token ids and logprobs to send, as vLLM does (where the API has a place for them).'),
  status: z.number().int().min(400).max(599).optional().describe("Answer with this HTTP status and an error body in the API's shape instead."),
  rawBody: z.string().optional().describe('Send this body verbatim (status 200, JSON content type), e.g. broken JSON.'),
  delayMs: z.number().int().nonnegative().optional(),
});
export type ScriptTurn = z.input<typeof ScriptTurnSchema>;
export type ScriptToolCall = z.input<typeof ScriptToolCallSchema>;

export const ModelScriptSchema = z.array(ScriptTurnSchema).describe('The assistant turns, in order; one per model request.');

/** Parses a script (YAML or JSON list of turns). Never throws. */
export function loadModelScript(text: string, source: string): { turns: ScriptTurn[] } | { errors: string[] } {
  const doc = parseDocument(text);
  if (doc.errors.length > 0) return { errors: doc.errors.map((e) => `${source}: ${e.message.split('\n')[0] ?? e.message}`) };
  const parsed = ModelScriptSchema.safeParse(doc.toJS());
  return parsed.success ? { turns: parsed.data } : { errors: formatIssues(parsed.error.issues).map((m) => `${source}: ${m}`) };
}

export async function loadModelScriptFile(path: string): Promise<{ turns: ScriptTurn[] } | { errors: string[] }> {
  return loadModelScript(await readFile(path, 'utf8'), path);
}

export interface RecordedRequest {
  method: string;
  path: string;
  /** The API the route belongs to; null for a route the server does not serve. */
  api: ApiName | null;
  authorization: string | null;
  apiKey: string | null;
  headers: Record<string, string | string[] | undefined>;
  body: Record<string, unknown>;
}

/** What the server wrote for one request: status, content type and every byte of the body. */
export interface SentResponse {
  api: ApiName | null;
  status: number;
  contentType: string;
  bytes: Buffer;
}

/**
 * The shell tools of the agents praetor drives, and the arguments each takes: the request's tool
 * list says which one the agent offers (first match wins).
 */
type ShellTool = { readonly name: string; readonly args: (command: string) => Record<string, unknown> };
const BASH_TOOL: ShellTool = { name: 'bash', args: (command) => ({ command }) };

export const SHELL_TOOLS: readonly { readonly name: string; readonly args: (command: string) => Record<string, unknown> }[] = [
  { name: 'run_shell_command', args: (command) => ({ command, is_background: false, description: 'Run a shell command' }) }, // qwen-code
  { name: 'Bash', args: (command) => ({ command, description: 'Run a shell command' }) }, // claude-code
  { name: 'exec_command', args: (cmd) => ({ cmd, yield_time_ms: 30_000 }) }, // codex (unified exec)
  { name: 'shell', args: (command) => ({ command: ['bash', '-lc', command] }) }, // codex (older)
  BASH_TOOL, // praetor's mini agent and tools
];

/** The tool names a request offers, whatever its API (chat: tools[].function.name; Responses, Messages: tools[].name). */
export function offeredToolNames(body: Record<string, unknown>): string[] {
  const tools = Array.isArray(body.tools) ? (body.tools as unknown[]) : [];
  return tools.flatMap((t) => {
    const tool = t as { name?: unknown; function?: { name?: unknown } };
    const name = tool.function?.name ?? tool.name;
    return typeof name === 'string' ? [name] : [];
  });
}

/** The shell tool an agent offers, or null. */
export function shellToolOf(offered: readonly string[]): ShellTool | null {
  return SHELL_TOOLS.find((t) => offered.includes(t.name)) ?? null;
}

export interface FakeModelServerOptions {
  /**
   * Side requests (a session title, a summary: any request that offers no shell tool) are answered
   * with this text and do not use up the script. Unset: every request plays the next turn.
   */
  sideAnswer?: string;
  /** Pieces text and each tool call's arguments are split into when streaming (default 3). */
  pieces?: number;
  /** When set, a body is written in pieces of this many bytes, splitting lines and events. */
  writeBytes?: number;
  /** The model named in answers when the request names none. */
  model?: string;
}

export interface FakeModelServer {
  /** http://127.0.0.1:PORT: an Anthropic client's base URL (it adds /v1/messages). */
  readonly url: string;
  /** url + /v1: an OpenAI client's base URL. */
  readonly baseUrl: string;
  readonly requests: RecordedRequest[];
  readonly sent: SentResponse[];
  /** Turns not yet played. */
  remaining(): number;
  /** Replaces the turns still to play (one server serves script after script). */
  play(script: readonly ScriptTurn[]): void;
  /** How many requests were answered as side requests. */
  sideRequests(): number;
  close(): Promise<void>;
}

export async function startFakeModelServer(script: readonly ScriptTurn[], options: FakeModelServerOptions = {}): Promise<FakeModelServer> {
  let queue = script.map((t) => ScriptTurnSchema.parse(t));
  let side = 0;
  const requests: RecordedRequest[] = [];
  const sent: SentResponse[] = [];
  const timers = new Set<NodeJS.Timeout>();
  let played = 0;
  const server = createServer((req, res) => {
    void readBody(req).then((text) => {
      const path = (req.url ?? '/').split('?')[0] ?? '/';
      const api = MODEL_APIS.find((a) => req.method === 'POST' && path === a.path) ?? null;
      const send = (status: number, contentType: string, body: string): void => {
        sent.push({ api: api?.name ?? null, status, contentType, bytes: Buffer.from(body) });
        res.writeHead(status, { 'content-type': contentType, ...(contentType === 'text/event-stream' ? { 'cache-control': 'no-cache' } : {}) });
        writeInPieces(res, Buffer.from(body), options.writeBytes);
      };
      const fail = (status: number, message: string, a: ModelApi | null = api): void =>
        send(status, 'application/json', JSON.stringify(a === null ? { error: { message, type: 'fake_error' } } : a.errorBody(status === 404 ? 'not_found' : status === 429 ? 'rate_limit' : status < 500 ? 'invalid_request' : 'server', message)));
      if (api === null) return fail(404, `no route ${req.method ?? ''} ${path}`);
      let body: Record<string, unknown>;
      try {
        body = JSON.parse(text) as Record<string, unknown>;
      } catch {
        return fail(400, 'request body is not JSON');
      }
      const header = (name: string): string | null => {
        const v = req.headers[name];
        return typeof v === 'string' ? v : null;
      };
      requests.push({ method: req.method ?? 'POST', path, api: api.name, authorization: header('authorization'), apiKey: header('x-api-key'), headers: { ...req.headers }, body });
      const offered = offeredToolNames(body);
      const shellTool = shellToolOf(offered);
      const isSide = options.sideAnswer !== undefined && shellTool === null;
      if (isSide) side++;
      const turn = isSide ? ScriptTurnSchema.parse({ text: options.sideAnswer }) : queue.shift();
      if (turn === undefined) return fail(500, 'fake model server: script exhausted');
      const n = played++;
      const unresolved = (turn.toolCalls ?? []).find((c) => 'shell' in c) !== undefined && shellTool === null;
      if (unresolved) return fail(400, `fake model server: the script asks for a shell call but the request offers no shell tool (${offered.join(', ') || 'no tools'})`);
      const timer = setTimeout(() => {
        timers.delete(timer);
        if (turn.status !== undefined) return fail(turn.status, `fake error ${turn.status}`);
        if (turn.rawBody !== undefined) return send(200, 'application/json', turn.rawBody);
        const completion = completionOf(api, turn, n, shellTool);
        const streamOptions = body.stream_options as { include_usage?: unknown } | undefined;
        const render = {
          model: typeof body.model === 'string' ? body.model : (options.model ?? 'fake-model'),
          pieces: options.pieces ?? 3,
          includeUsage: streamOptions?.include_usage === true,
          customTools: customToolNames(body),
        };
        if (body.stream === true) send(200, 'text/event-stream', sseText(api.renderEvents(completion, render)));
        else send(200, 'application/json', api.renderJson(completion, render));
      }, turn.delayMs ?? 0);
      timers.add(timer);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const url = `http://127.0.0.1:${port}`;
  return {
    url,
    baseUrl: `${url}/v1`,
    requests,
    sent,
    remaining: () => queue.length,
    play: (next) => {
      queue = next.map((t) => ScriptTurnSchema.parse(t));
    },
    sideRequests: () => side,
    close: () =>
      new Promise<void>((resolve) => {
        for (const timer of timers) clearTimeout(timer);
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** A script turn as the completion the API's renderer writes. */
export function completionOf(api: ModelApi, turn: z.output<typeof ScriptTurnSchema>, n: number, shellTool: ShellTool | null = null): Completion {
  const calls = (turn.toolCalls ?? []).map((c, i) => {
    const named = 'shell' in c ? { name: (shellTool ?? BASH_TOOL).name, arguments: (shellTool ?? BASH_TOOL).args(c.shell) } : c;
    return {
      id: c.id ?? `${api.toolCallIdPrefix}fake_${n}_${i}`,
      type: 'function' as const,
      function: { name: named.name, arguments: typeof named.arguments === 'string' ? named.arguments : JSON.stringify(named.arguments) },
    };
  });
  return {
    message: { role: 'assistant', content: turn.text ?? null, tool_calls: calls, ...(turn.reasoning !== undefined ? { reasoning: turn.reasoning } : {}) },
    usage: turn.usage ?? { prompt: 10, completion: 5 },
    completionId: `${api.completionIdPrefix}fake`,
    finishReason: turn.finishReason ?? null,
    tokens: turn.tokens ?? null,
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

function writeInPieces(res: ServerResponse, data: Buffer, size = data.length): void {
  let offset = 0;
  const step = (): void => {
    if (res.destroyed) return;
    if (offset >= data.length) return void res.end();
    res.write(data.subarray(offset, offset + Math.max(1, size)));
    offset += size;
    setImmediate(step);
  };
  step();
}
