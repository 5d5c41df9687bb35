// Who answers a gateway request: an upstream that speaks the agent's API (the request forwarded
// with praetor's key, never the sandbox's token; the answer's bytes handed to the agent as they
// came, streams teed so the agent reads while the gateway records), or a trainer that supplies the
// assistant message itself, rendered in the agent's API.
import { randomBytes } from 'node:crypto';
import { formatIssues } from '../../core/schema-issues.js';
import { errorMessage } from '../../core/errors.js';
import { DEFAULT_MODEL_TIMEOUT_MS } from '../model/openai-client.js';
import { errorBodyMessage } from '../model/openai-wire.js';
import type { ApiProtocol, ApiRequest, GatewayErrorKind, ModelApi } from './apis/model-api.js';
import { WireError } from './apis/model-api.js';
import { customToolNames } from './apis/responses-api.js';
import { readSse, sseText } from './apis/sse.js';
import { TrainerAnswerSchema, type Completion, type TrainerAnswer, type TurnRequest } from './gateway-wire.js';

export type ErrorStatus = 400 | 404 | 413 | 422 | 429 | 502 | 504;

export type ResponderResult =
  | { kind: 'json'; body: Uint8Array<ArrayBuffer>; contentType: string; completion: Completion }
  | { kind: 'stream'; body: ReadableStream<Uint8Array>; contentType: string; completion: Promise<Completion> }
  | { kind: 'error'; status: ErrorStatus; errorKind: GatewayErrorKind; message: string };

export interface RespondContext {
  readonly turn: TurnRequest;
  readonly api: ModelApi;
  readonly request: ApiRequest;
  /** The query string of the agent's request (`?beta=true`), passed upstream as it came. */
  readonly search: string;
  /** The agent's headers; only the API's own (anthropic-version, anthropic-beta) go upstream. */
  readonly headers: Headers;
  readonly signal: AbortSignal;
}

export type Responder = (ctx: RespondContext) => Promise<ResponderResult>;

export interface UpstreamConfig {
  /**
   * OpenAI-compatible: up to and including the version (http://127.0.0.1:8000/v1). Anthropic-compatible:
   * without it, as ANTHROPIC_BASE_URL is written (https://api.anthropic.com).
   */
  readonly baseUrl: string;
  readonly apiKey?: string;
  /** Replaces the model the agent named, so a sandbox can not pick a costlier one. */
  readonly model?: string;
  readonly timeoutMs?: number;
  /** 'openai' serves chat completions and Responses, 'anthropic' Messages. Default 'openai'. */
  readonly protocol?: ApiProtocol;
}

/** A request as a trainer sees it: the turn (normalized messages and tools) and the body as the agent sent it. */
export interface TrainerRequest extends TurnRequest {
  readonly body: Record<string, unknown>;
}

/** An external trainer's hook: answer the request (the gateway waits as long as it takes). */
export type TrainerAnswerFn = (request: TrainerRequest, signal: AbortSignal) => Promise<TrainerAnswer>;

const ANTHROPIC_VERSION = '2023-06-01';

// Statuses that describe the agent's own request; any other upstream failure is the gateway's (502),
// so an upstream 401 about praetor's key is not read by the agent as a problem with its token.
const PASSED_THROUGH: ReadonlyMap<number, GatewayErrorKind> = new Map([
  [400, 'invalid_request'],
  [413, 'too_large'],
  [422, 'invalid_request'],
  [429, 'rate_limit'],
]);

function upstreamHeaders(config: UpstreamConfig, ctx: RespondContext): Record<string, string> {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  const key = config.apiKey ?? '';
  if (ctx.api.protocol === 'anthropic') {
    headers['anthropic-version'] = ctx.headers.get('anthropic-version') ?? ANTHROPIC_VERSION;
    const beta = ctx.headers.get('anthropic-beta');
    if (beta !== null) headers['anthropic-beta'] = beta;
    if (key !== '') headers['x-api-key'] = key;
  } else if (key !== '') {
    headers.authorization = `Bearer ${key}`;
  }
  return headers;
}

/** Reads a whole SSE stream into the API's completion; fails on an error event or a cut-off stream. */
export async function foldStream(api: ModelApi, body: ReadableStream<Uint8Array>): Promise<Completion> {
  const fold = api.streamFold();
  for await (const event of readSse(body)) {
    fold.add(event);
    if (fold.done) break;
  }
  if (!fold.complete) throw new WireError('the stream ended before the response finished');
  return fold.result();
}

export function upstreamResponder(upstreams: readonly UpstreamConfig[]): Responder {
  return async (ctx) => {
    const config = upstreams.find((u) => (u.protocol ?? 'openai') === ctx.api.protocol);
    if (config === undefined) {
      return { kind: 'error', status: 404, errorKind: 'not_found', message: `this gateway has no ${ctx.api.protocol}-compatible upstream for ${ctx.api.path}` };
    }
    const url = `${config.baseUrl.replace(/\/+$/, '')}${ctx.api.upstreamPath}${ctx.search}`;
    const timeoutMs = config.timeoutMs ?? DEFAULT_MODEL_TIMEOUT_MS;
    const body = config.model === undefined ? ctx.request.body : { ...ctx.request.body, model: config.model };
    const timeout = AbortSignal.timeout(timeoutMs);
    let response: Response;
    try {
      response = await fetch(url, { method: 'POST', headers: upstreamHeaders(config, ctx), body: JSON.stringify(body), signal: AbortSignal.any([timeout, ctx.signal]) });
    } catch (err) {
      if (timeout.aborted) return { kind: 'error', status: 504, errorKind: 'upstream', message: `the model upstream did not answer within ${timeoutMs} ms` };
      if (ctx.signal.aborted) return { kind: 'error', status: 502, errorKind: 'upstream', message: 'the agent closed the request before the model answered' };
      const cause = err instanceof Error && err.cause instanceof Error ? ` (${err.cause.message})` : '';
      return { kind: 'error', status: 502, errorKind: 'upstream', message: `the model upstream is unreachable: ${errorMessage(err)}${cause}` };
    }
    if (!response.ok) {
      const text = await response.text().catch(() => '');
      const kind = PASSED_THROUGH.get(response.status);
      const message = `model upstream answered HTTP ${response.status}: ${errorBodyMessage(text) || response.statusText}`;
      return kind === undefined ? { kind: 'error', status: 502, errorKind: 'upstream', message } : { kind: 'error', status: response.status as ErrorStatus, errorKind: kind, message };
    }
    const contentType = response.headers.get('content-type') ?? 'application/json';
    if (contentType.includes('text/event-stream') && response.body !== null) {
      const [toAgent, toRecord] = response.body.tee();
      return { kind: 'stream', body: toAgent, contentType, completion: foldStream(ctx.api, toRecord) };
    }
    const bytes = new Uint8Array(await response.arrayBuffer().catch(() => new ArrayBuffer(0)));
    try {
      return { kind: 'json', body: bytes, contentType, completion: ctx.api.parseResponse(JSON.parse(new TextDecoder().decode(bytes))) };
    } catch (err) {
      return { kind: 'error', status: 502, errorKind: 'upstream', message: `the model upstream's answer is unreadable: ${errorMessage(err)}` };
    }
  };
}

function newId(prefix: string): string {
  return `${prefix}${randomBytes(12).toString('hex')}`;
}

/** A trainer's answer as a completion of the agent's API, ids made up in its style where missing. */
export function trainerCompletion(api: ModelApi, answer: ReturnType<typeof TrainerAnswerSchema.parse>): Completion {
  return {
    message: {
      role: 'assistant',
      content: answer.content ?? null,
      tool_calls: (answer.tool_calls ?? []).map((c) => ({ id: c.id ?? newId(api.toolCallIdPrefix), type: 'function', function: { name: c.function.name, arguments: c.function.arguments } })),
      ...(answer.reasoning !== undefined ? { reasoning: answer.reasoning } : {}),
    },
    usage: answer.usage ?? null,
    completionId: newId(api.completionIdPrefix),
    finishReason: answer.finishReason ?? null,
    tokens: answer.tokens ?? null,
  };
}

export function trainerResponder(answer: TrainerAnswerFn): Responder {
  return async ({ turn, api, request, signal }) => {
    let raw: unknown;
    try {
      raw = await answer({ ...turn, body: request.body }, signal);
    } catch (err) {
      return { kind: 'error', status: 502, errorKind: 'upstream', message: `the trainer did not answer: ${errorMessage(err)}` };
    }
    const parsed = TrainerAnswerSchema.safeParse(raw);
    if (!parsed.success) return { kind: 'error', status: 502, errorKind: 'upstream', message: `the trainer's answer is invalid: ${formatIssues(parsed.error.issues).join('; ')}` };
    const completion = trainerCompletion(api, parsed.data);
    const streamOptions = request.body.stream_options as { include_usage?: unknown } | undefined;
    const options = { model: request.model ?? 'praetor', includeUsage: streamOptions?.include_usage === true, customTools: customToolNames(request.body) };
    try {
      // What is recorded is read back from what the agent is sent, so the two can not differ; the
      // trainer's token data is kept whether or not the API has a place for it.
      const withTokens = (c: Completion): Completion => ({ ...c, tokens: completion.tokens ?? c.tokens });
      if (!request.stream) {
        const text = api.renderJson(completion, options);
        return { kind: 'json', body: new TextEncoder().encode(text), contentType: 'application/json', completion: withTokens(api.parseResponse(JSON.parse(text))) };
      }
      const events = api.renderEvents(completion, options);
      const fold = api.streamFold();
      for (const e of events) fold.add(e);
      const bytes = new TextEncoder().encode(sseText(events));
      const body = new ReadableStream<Uint8Array>({
        start(controller) {
          controller.enqueue(bytes);
          controller.close();
        },
      });
      return { kind: 'stream', body, contentType: 'text/event-stream', completion: Promise.resolve(withTokens(fold.result())) };
    } catch (err) {
      return { kind: 'error', status: 502, errorKind: 'upstream', message: `the trainer's answer can not be said in ${api.name}: ${errorMessage(err)}` };
    }
  };
}
