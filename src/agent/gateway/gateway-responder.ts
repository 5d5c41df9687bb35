// Who answers a gateway request: an OpenAI-compatible upstream (the agent's request forwarded with
// praetor's key, never the sandbox's token; streams teed so the agent reads while the gateway
// records), or an external trainer that supplies the assistant message itself.
import { randomBytes } from 'node:crypto';
import { formatIssues } from '../../core/schema-issues.js';
import { errorMessage } from '../../core/errors.js';
import type { ChatCompletion } from '../model/model-client.js';
import { DEFAULT_MODEL_TIMEOUT_MS, parseCompletion } from '../model/openai-client.js';
import { readCompletionStream } from '../model/openai-stream.js';
import { errorBodyMessage } from '../model/openai-wire.js';
import { TrainerAnswerSchema, wireToolCalls, type Completion, type GatewayRequest, type OpenAiErrorType, type TrainerAnswer } from './gateway-wire.js';

export type ResponderResult =
  | { kind: 'json'; text: string; completion: Completion }
  | { kind: 'stream'; body: ReadableStream<Uint8Array>; completion: Promise<Completion> }
  | { kind: 'error'; status: 400 | 413 | 422 | 429 | 502 | 504; type: OpenAiErrorType; message: string };

export type Responder = (sandboxId: string, request: GatewayRequest, signal: AbortSignal) => Promise<ResponderResult>;

export interface UpstreamConfig {
  /** Up to and including the version, e.g. http://127.0.0.1:8000/v1. */
  readonly baseUrl: string;
  readonly apiKey?: string;
  /** Replaces the model the agent named, so a sandbox can not pick a costlier one. */
  readonly model?: string;
  readonly timeoutMs?: number;
}

/** An external trainer's hook: answer the request (the gateway waits as long as it takes). */
export type TrainerAnswerFn = (sandboxId: string, request: GatewayRequest, signal: AbortSignal) => Promise<TrainerAnswer>;

// Statuses that describe the agent's own request; any other upstream failure is the gateway's (502),
// so an upstream 401 about praetor's key is not read by the agent as a problem with its token.
const PASSED_THROUGH = new Set([400, 413, 422, 429]);

export function upstreamResponder(config: UpstreamConfig): Responder {
  const url = `${config.baseUrl.replace(/\/+$/, '')}/chat/completions`;
  const timeoutMs = config.timeoutMs ?? DEFAULT_MODEL_TIMEOUT_MS;
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (config.apiKey !== undefined && config.apiKey !== '') headers.authorization = `Bearer ${config.apiKey}`;
  return async (_sandboxId, request, clientSignal) => {
    const body = config.model === undefined ? request : { ...request, model: config.model };
    const timeout = AbortSignal.timeout(timeoutMs);
    let response: Response;
    try {
      response = await fetch(url, { method: 'POST', headers, body: JSON.stringify(body), signal: AbortSignal.any([timeout, clientSignal]) });
    } catch (err) {
      if (timeout.aborted) return { kind: 'error', status: 504, type: 'upstream_error', message: `the model upstream did not answer within ${timeoutMs} ms` };
      if (clientSignal.aborted) return { kind: 'error', status: 502, type: 'upstream_error', message: 'the agent closed the request before the model answered' };
      const cause = err instanceof Error && err.cause instanceof Error ? ` (${err.cause.message})` : '';
      return { kind: 'error', status: 502, type: 'upstream_error', message: `the model upstream is unreachable: ${errorMessage(err)}${cause}` };
    }
    if (!response.ok) {
      const text = await response.text().catch(() => '');
      const status = PASSED_THROUGH.has(response.status) ? (response.status as 400 | 413 | 422 | 429) : 502;
      return { kind: 'error', status, type: status === 502 ? 'upstream_error' : 'invalid_request_error', message: `model upstream answered HTTP ${response.status}: ${errorBodyMessage(text) || response.statusText}` };
    }
    const isStream = (response.headers.get('content-type') ?? '').includes('text/event-stream');
    if (request.stream === true && isStream && response.body !== null) {
      const [toAgent, toRecord] = response.body.tee();
      return { kind: 'stream', body: toAgent, completion: readCompletionStream(toRecord).then(fromChatCompletion) };
    }
    const text = await response.text().catch(() => '');
    try {
      return { kind: 'json', text, completion: fromChatCompletion(parseCompletion(text)) };
    } catch (err) {
      return { kind: 'error', status: 502, type: 'upstream_error', message: `the model upstream's answer is unreadable: ${errorMessage(err)}` };
    }
  };
}

export function trainerResponder(answer: TrainerAnswerFn): Responder {
  return async (sandboxId, request, signal) => {
    let raw: unknown;
    try {
      raw = await answer(sandboxId, request, signal);
    } catch (err) {
      return { kind: 'error', status: 502, type: 'upstream_error', message: `the trainer did not answer: ${errorMessage(err)}` };
    }
    const parsed = TrainerAnswerSchema.safeParse(raw);
    if (!parsed.success) return { kind: 'error', status: 502, type: 'upstream_error', message: `the trainer's answer is invalid: ${formatIssues(parsed.error.issues).join('; ')}` };
    const toolCalls = wireToolCalls(parsed.data.tool_calls);
    const completion: Completion = {
      message: { role: 'assistant', content: parsed.data.content ?? null, tool_calls: toolCalls },
      usage: parsed.data.usage ?? null,
      completionId: `chatcmpl-${randomBytes(8).toString('hex')}`,
      finishReason: parsed.data.finishReason ?? (toolCalls.length > 0 ? 'tool_calls' : 'stop'),
    };
    const model = request.model ?? 'praetor';
    if (request.stream !== true) return { kind: 'json', text: JSON.stringify(completionBody(completion, model)), completion };
    const includeUsage = (request.stream_options as { include_usage?: unknown } | undefined)?.include_usage === true;
    const sse = new TextEncoder().encode(completionEvents(completion, model, includeUsage));
    const body = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(sse);
        controller.close();
      },
    });
    return { kind: 'stream', body, completion: Promise.resolve(completion) };
  };
}

function fromChatCompletion(c: ChatCompletion): Completion {
  return {
    message: {
      role: 'assistant',
      content: c.text,
      tool_calls: c.toolCalls.map((t) => ({ id: t.id, type: 'function', function: { name: t.name, arguments: t.rawArguments } })),
    },
    usage: c.usage,
    completionId: c.id === '' ? null : c.id,
    finishReason: c.finishReason,
  };
}

function wireUsage(c: Completion): Record<string, number> | undefined {
  return c.usage === null ? undefined : { prompt_tokens: c.usage.prompt, completion_tokens: c.usage.completion, total_tokens: c.usage.prompt + c.usage.completion };
}

function completionBody(c: Completion, model: string): object {
  const { role, content, tool_calls } = c.message;
  const message = { role, content, ...(tool_calls.length > 0 ? { tool_calls } : {}) };
  return { id: c.completionId, object: 'chat.completion', created: Math.floor(Date.now() / 1000), model, choices: [{ index: 0, message, finish_reason: c.finishReason }], usage: wireUsage(c) };
}

/** The SSE form of a whole completion: one delta each for text and every tool call, then the finish. */
function completionEvents(c: Completion, model: string, includeUsage: boolean): string {
  const base = { id: c.completionId, object: 'chat.completion.chunk', created: Math.floor(Date.now() / 1000), model };
  const chunk = (delta: object, finish: string | null = null): object => ({ ...base, choices: [{ index: 0, delta, finish_reason: finish }] });
  const events = [chunk({ role: 'assistant', ...(c.message.content !== null ? { content: c.message.content } : {}) })];
  c.message.tool_calls.forEach((call, index) => events.push(chunk({ tool_calls: [{ index, ...call }] })));
  events.push(chunk({}, c.finishReason));
  const usage = wireUsage(c);
  if (includeUsage && usage !== undefined) events.push({ ...base, choices: [], usage });
  return `${events.map((e) => `data: ${JSON.stringify(e)}\n\n`).join('')}data: [DONE]\n\n`;
}
