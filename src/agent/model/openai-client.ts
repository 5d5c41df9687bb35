// A minimal OpenAI-compatible chat-completions client on node's fetch: tool calling, streamed or
// not, a timeout, and typed errors. Small enough that an SDK's weight is not worth it.
import { formatIssues } from '../../core/schema-issues.js';
import { errorMessage } from '../../core/errors.js';
import {
  ModelError,
  parseToolArguments,
  type ChatCompletion,
  type ChatRequest,
  type ModelClient,
} from './model-client.js';
import { readCompletionStream } from './openai-stream.js';
import { CompletionSchema, chatRequestBody, errorBodyMessage } from './openai-wire.js';

export const DEFAULT_MODEL_TIMEOUT_MS = 300_000;

export interface OpenAiClientOptions {
  /** Up to and including the version, e.g. http://127.0.0.1:8000/v1. */
  readonly baseUrl: string;
  readonly model: string;
  readonly apiKey?: string;
  /** For the whole request, the streamed body included. */
  readonly timeoutMs?: number;
  readonly headers?: Readonly<Record<string, string>>;
}

export class OpenAiClient implements ModelClient {
  readonly model: string;
  private readonly url: string;
  private readonly timeoutMs: number;
  private readonly headers: Record<string, string>;

  constructor(options: OpenAiClientOptions) {
    this.model = options.model;
    this.url = `${options.baseUrl.replace(/\/+$/, '')}/chat/completions`;
    this.timeoutMs = options.timeoutMs ?? DEFAULT_MODEL_TIMEOUT_MS;
    this.headers = { 'content-type': 'application/json', ...options.headers };
    if (options.apiKey !== undefined && options.apiKey !== '') this.headers.authorization = `Bearer ${options.apiKey}`;
  }

  async complete(request: ChatRequest): Promise<ChatCompletion> {
    const timeout = AbortSignal.timeout(this.timeoutMs);
    const signal = request.signal === undefined ? timeout : AbortSignal.any([timeout, request.signal]);
    try {
      const response = await fetch(this.url, {
        method: 'POST',
        headers: this.headers,
        body: JSON.stringify(chatRequestBody(this.model, request)),
        signal,
      });
      if (!response.ok) {
        const body = await response.text().catch(() => '');
        throw new ModelError('http', `HTTP ${response.status} from ${this.url}: ${errorBodyMessage(body) || response.statusText}`, response.status);
      }
      if (request.stream === true) {
        if (response.body === null) throw new ModelError('bad-response', 'streamed response has no body');
        return await readCompletionStream(response.body);
      }
      return parseCompletion(await response.text());
    } catch (err) {
      if (err instanceof ModelError) throw err;
      if (timeout.aborted) throw new ModelError('timeout', `no complete answer from ${this.url} within ${this.timeoutMs} ms`, null, { cause: err });
      if (request.signal?.aborted === true) throw new ModelError('aborted', 'the request was cancelled', null, { cause: err });
      throw new ModelError('network', `request to ${this.url} failed: ${networkReason(err)}`, null, { cause: err });
    }
  }
}

/** A non-streamed response body as a completion. */
export function parseCompletion(body: string): ChatCompletion {
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch (err) {
    throw new ModelError('bad-json', `response is not JSON: ${errorMessage(err)}`, null, { cause: err });
  }
  const parsed = CompletionSchema.safeParse(json);
  if (!parsed.success) throw new ModelError('bad-response', `unexpected response: ${formatIssues(parsed.error.issues).join('; ')}`);
  const choice = parsed.data.choices[0];
  const message = choice?.message;
  return {
    id: parsed.data.id ?? '',
    text: message?.content ?? null,
    toolCalls: (message?.tool_calls ?? []).map((c, i) => parseToolArguments(c.id ?? `call_${i}`, c.function.name, c.function.arguments)),
    finishReason: choice?.finish_reason ?? null,
    usage: parsed.data.usage,
  };
}

/** fetch hides the socket error in `cause` ("fetch failed" says nothing). */
function networkReason(err: unknown): string {
  const cause = err instanceof Error ? err.cause : undefined;
  return cause instanceof Error ? `${errorMessage(err)} (${cause.message})` : errorMessage(err);
}
