// One interface, one implementation per API the gateway speaks (chat completions, Responses,
// Anthropic Messages): read the agent's request into the recorded shape, read the upstream's answer
// (JSON or SSE) into a completion, render a completion in the API's wire format (for trainer
// answers and the fake servers), and say errors the way the API's clients expect.
import type { ApiName, Completion, GatewayMessage, GatewayTool } from '../gateway-wire.js';
import type { SseEvent } from './sse.js';

/** Which kind of upstream serves an API: OpenAI-compatible (chat, Responses) or Anthropic-compatible. */
export type ApiProtocol = 'openai' | 'anthropic';

export type GatewayErrorKind = 'invalid_request' | 'authentication' | 'not_found' | 'too_large' | 'rate_limit' | 'upstream' | 'server';

/** A validated agent request: the body as sent (it goes upstream), and its normalized form. */
export interface ApiRequest {
  readonly body: Record<string, unknown>;
  readonly stream: boolean;
  readonly model: string | null;
  readonly messages: GatewayMessage[];
  readonly tools: GatewayTool[];
}

/** Folds an SSE stream into one completion; throws WireError on an error event or unreadable data. */
export interface StreamFold {
  add(event: SseEvent): void;
  /** Whether the stream's terminal event ([DONE], response.completed, message_stop) was seen. */
  readonly done: boolean;
  /** Whether what was read is a whole response if the stream ends here (chat: a finish reason, [DONE] or not). */
  readonly complete: boolean;
  result(): Completion;
}

export interface RenderOptions {
  readonly model: string;
  /** Split text and tool arguments over this many deltas (default 1: whole). */
  readonly pieces?: number;
  /** Chat completions: send the usage chunk (the request's stream_options.include_usage). */
  readonly includeUsage?: boolean;
  /** Responses: the request's custom (freeform) tools, whose calls are custom_tool_call items. */
  readonly customTools?: ReadonlySet<string>;
}

export interface ModelApi {
  readonly name: ApiName;
  readonly protocol: ApiProtocol;
  /** Route of the gateway (and of the fake servers). */
  readonly path: string;
  /** Appended to the upstream's base URL. */
  readonly upstreamPath: string;
  /** Prefixes of the ids this API's servers make up: tool calls, and whole completions. */
  readonly toolCallIdPrefix: string;
  readonly completionIdPrefix: string;
  parseRequest(json: unknown): { request: ApiRequest } | { error: string };
  /** A non-streamed response body; throws WireError. */
  parseResponse(json: unknown): Completion;
  streamFold(): StreamFold;
  renderJson(completion: Completion, options: RenderOptions): string;
  renderEvents(completion: Completion, options: RenderOptions): SseEvent[];
  errorBody(kind: GatewayErrorKind, message: string): object;
}

/** A response or stream that does not follow the API's format. */
export class WireError extends Error {
  override readonly name = 'WireError';
}

/** `text` in `n` pieces of about equal length (none when empty). */
export function pieces(text: string, n = 1): string[] {
  if (text === '') return [];
  const size = Math.max(1, Math.ceil(text.length / Math.max(1, n)));
  const out: string[] = [];
  for (let i = 0; i < text.length; i += size) out.push(text.slice(i, i + size));
  return out;
}
