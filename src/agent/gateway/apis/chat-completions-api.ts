// OpenAI chat completions (POST /v1/chat/completions), as qwen-code and most OpenAI clients speak
// it: the request is already in the recorded shape; answers carry vLLM's token ids
// (return_token_ids: prompt_token_ids, choices[].token_ids) and logprobs when asked.
import { z } from 'zod';
import { formatIssues } from '../../../core/schema-issues.js';
import { GatewayMessageSchema, GatewayToolSchema, type Completion } from '../gateway-wire.js';
import { WireError, pieces, type GatewayErrorKind, type ModelApi, type StreamFold } from './model-api.js';
import type { SseEvent } from './sse.js';
import { ArgumentsSchema, LogprobEntriesSchema, TokenCollector, TokenIdsSchema, jsonObject, parseWire, unixSeconds, wireLogprobs } from './wire-common.js';

/** POST /v1/chat/completions. Sampling fields (temperature, max_tokens, ...) pass through unchecked. */
export const ChatRequestSchema = z
  .object({
    model: z.string().optional(),
    messages: z.array(GatewayMessageSchema).min(1, 'at least one message is needed'),
    tools: z.array(GatewayToolSchema).optional(),
    stream: z.boolean().optional(),
    n: z.literal(1, 'the gateway records one completion per request: n must be 1').optional(),
  })
  .loose();

const UsageSchema = z
  .object({ prompt_tokens: z.number().int().nonnegative(), completion_tokens: z.number().int().nonnegative() })
  .loose()
  .nullish();

const LogprobsSchema = z.object({ content: LogprobEntriesSchema }).loose().nullish();

const ResponseSchema = z
  .object({
    id: z.string().nullish(),
    choices: z
      .array(
        z
          .object({
            message: z
              .object({
                content: z.string().nullish(),
                reasoning_content: z.string().nullish(),
                tool_calls: z.array(z.object({ id: z.string().nullish(), function: z.object({ name: z.string(), arguments: ArgumentsSchema }).loose() }).loose()).nullish(),
              })
              .loose(),
            finish_reason: z.string().nullish(),
            logprobs: LogprobsSchema,
            token_ids: TokenIdsSchema,
            prompt_token_ids: TokenIdsSchema,
          })
          .loose(),
      )
      .min(1, 'no choices in the response'),
    usage: UsageSchema,
    prompt_token_ids: TokenIdsSchema,
  })
  .loose();

const ChunkSchema = z
  .object({
    id: z.string().nullish(),
    choices: z
      .array(
        z
          .object({
            delta: z
              .object({
                content: z.string().nullish(),
                reasoning_content: z.string().nullish(),
                tool_calls: z
                  .array(
                    z
                      .object({
                        index: z.number().int().nonnegative(),
                        id: z.string().nullish(),
                        function: z.object({ name: z.string().nullish(), arguments: ArgumentsSchema }).loose().nullish(),
                      })
                      .loose(),
                  )
                  .nullish(),
              })
              .loose()
              .nullish(),
            finish_reason: z.string().nullish(),
            logprobs: LogprobsSchema,
            token_ids: TokenIdsSchema,
            prompt_token_ids: TokenIdsSchema,
          })
          .loose(),
      )
      .nullish(),
    usage: UsageSchema,
    prompt_token_ids: TokenIdsSchema,
    error: z.object({ message: z.string() }).loose().nullish(),
  })
  .loose();

function usageOf(u: z.infer<typeof UsageSchema>): Completion['usage'] {
  return u == null ? null : { prompt: u.prompt_tokens, completion: u.completion_tokens };
}

class ChatFold implements StreamFold {
  private id: string | null = null;
  private text = '';
  private sawText = false;
  private reasoning = '';
  private readonly calls = new Map<number, { id: string; name: string; arguments: string }>();
  private finishReason: string | null = null;
  private usage: Completion['usage'] = null;
  private readonly tokens = new TokenCollector();
  private sawDone = false;

  get done(): boolean {
    return this.sawDone;
  }

  // Some servers end a stream without [DONE]; a finish reason says the answer is whole. The usage
  // chunk comes after it, so reading goes on to [DONE] or the end.
  get complete(): boolean {
    return this.sawDone || this.finishReason !== null;
  }

  add(event: SseEvent): void {
    if (this.sawDone) return;
    if (event.data.trim() === '[DONE]') {
      this.sawDone = true;
      return;
    }
    const chunk = parseWire(ChunkSchema, jsonObject(event.data, 'stream event'), 'stream chunk');
    if (chunk.error != null) throw new WireError(`server error in stream: ${chunk.error.message}`);
    if (chunk.id != null && this.id === null) this.id = chunk.id;
    if (chunk.usage != null) this.usage = usageOf(chunk.usage);
    this.tokens.prompt(chunk.prompt_token_ids);
    // n is 1 (the gateway refuses more): the first choice is the completion.
    const choice = chunk.choices?.[0];
    if (choice === undefined) return;
    this.tokens.prompt(choice.prompt_token_ids);
    this.tokens.completion(choice.token_ids);
    this.tokens.logprob(choice.logprobs?.content);
    if (choice.finish_reason != null) this.finishReason = choice.finish_reason;
    const delta = choice.delta;
    if (delta == null) return;
    if (delta.content != null) {
      this.text += delta.content;
      this.sawText = true;
    }
    if (delta.reasoning_content != null) this.reasoning += delta.reasoning_content;
    for (const fragment of delta.tool_calls ?? []) {
      const call = this.calls.get(fragment.index) ?? { id: '', name: '', arguments: '' };
      if (fragment.id != null && call.id === '') call.id = fragment.id;
      const name = fragment.function?.name;
      // The name comes whole in the first fragment; a server that repeats it must not double it.
      if (name != null && name !== call.name) call.name = call.name === '' ? name : call.name + name;
      call.arguments += fragment.function?.arguments ?? '';
      this.calls.set(fragment.index, call);
    }
  }

  result(): Completion {
    const toolCalls = [...this.calls.entries()]
      .sort(([a], [b]) => a - b)
      .map(([index, c]) => ({ id: c.id === '' ? `call_${index}` : c.id, type: 'function' as const, function: { name: c.name, arguments: c.arguments } }));
    return {
      message: { role: 'assistant', content: this.sawText ? this.text : null, tool_calls: toolCalls, ...(this.reasoning !== '' ? { reasoning: this.reasoning } : {}) },
      usage: this.usage,
      completionId: this.id,
      finishReason: this.finishReason,
      tokens: this.tokens.result(),
    };
  }
}

function finishOf(c: Completion): string {
  return c.finishReason ?? (c.message.tool_calls.length > 0 ? 'tool_calls' : 'stop');
}

function wireUsage(c: Completion): object | undefined {
  return c.usage === null ? undefined : { prompt_tokens: c.usage.prompt, completion_tokens: c.usage.completion, total_tokens: c.usage.prompt + c.usage.completion };
}

const ERROR_TYPES: Record<GatewayErrorKind, [type: string, code: string | null]> = {
  invalid_request: ['invalid_request_error', null],
  authentication: ['authentication_error', 'invalid_api_key'],
  not_found: ['invalid_request_error', 'not_found'],
  too_large: ['invalid_request_error', 'request_too_large'],
  rate_limit: ['rate_limit_error', 'rate_limit_exceeded'],
  upstream: ['upstream_error', null],
  server: ['server_error', null],
};

/** OpenAI's error body, which chat completions and Responses share. */
export function openAiErrorBody(kind: GatewayErrorKind, message: string): object {
  const [type, code] = ERROR_TYPES[kind];
  return { error: { message, type, param: null, code } };
}

export const chatCompletionsApi: ModelApi = {
  name: 'chat-completions',
  protocol: 'openai',
  path: '/v1/chat/completions',
  upstreamPath: '/chat/completions',
  toolCallIdPrefix: 'call_',
  completionIdPrefix: 'chatcmpl-',

  parseRequest(json) {
    const parsed = ChatRequestSchema.safeParse(json);
    if (!parsed.success) return { error: formatIssues(parsed.error.issues).join('; ') };
    const body = parsed.data;
    return { request: { body, stream: body.stream === true, model: body.model ?? null, messages: body.messages, tools: body.tools ?? [] } };
  },

  parseResponse(json) {
    const r = parseWire(ResponseSchema, json, 'response');
    const choice = r.choices[0];
    const message = choice?.message;
    const tokens = new TokenCollector();
    tokens.prompt(r.prompt_token_ids ?? choice?.prompt_token_ids);
    tokens.completion(choice?.token_ids);
    tokens.logprob(choice?.logprobs?.content);
    const reasoning = message?.reasoning_content;
    return {
      message: {
        role: 'assistant',
        content: message?.content ?? null,
        tool_calls: (message?.tool_calls ?? []).map((c, i) => ({ id: c.id ?? `call_${i}`, type: 'function' as const, function: { name: c.function.name, arguments: c.function.arguments } })),
        ...(reasoning != null && reasoning !== '' ? { reasoning } : {}),
      },
      usage: usageOf(r.usage),
      completionId: r.id ?? null,
      finishReason: choice?.finish_reason ?? null,
      tokens: tokens.result(),
    };
  },

  streamFold: () => new ChatFold(),

  renderJson(c, o) {
    const { content, tool_calls, reasoning } = c.message;
    const message = { role: 'assistant', content, ...(reasoning !== undefined ? { reasoning_content: reasoning } : {}), ...(tool_calls.length > 0 ? { tool_calls } : {}) };
    const choice = {
      index: 0,
      message,
      logprobs: c.tokens?.logprobs ? { content: wireLogprobs(c.tokens.logprobs) } : null,
      finish_reason: finishOf(c),
      ...(c.tokens?.completionIds ? { token_ids: c.tokens.completionIds } : {}),
    };
    return JSON.stringify({
      id: c.completionId,
      object: 'chat.completion',
      created: unixSeconds(),
      model: o.model,
      choices: [choice],
      usage: wireUsage(c),
      ...(c.tokens?.promptIds ? { prompt_token_ids: c.tokens.promptIds } : {}),
    });
  },

  renderEvents(c, o) {
    const base = { id: c.completionId, object: 'chat.completion.chunk', created: unixSeconds(), model: o.model };
    const chunk = (delta: object, extra: object = {}, finish: string | null = null): object => ({
      ...base,
      choices: [{ index: 0, delta, logprobs: null, finish_reason: finish, ...extra }],
    });
    // OpenAI opens with content '' for a text answer and null for calls alone.
    const events: object[] = [{ ...chunk({ role: 'assistant', content: c.message.content === null ? null : '' }), ...(c.tokens?.promptIds ? { prompt_token_ids: c.tokens.promptIds } : {}) }];
    for (const piece of pieces(c.message.reasoning ?? '', o.pieces)) events.push(chunk({ reasoning_content: piece }));
    for (const piece of pieces(c.message.content ?? '', o.pieces)) events.push(chunk({ content: piece }));
    c.message.tool_calls.forEach((call, index) => {
      events.push(chunk({ tool_calls: [{ index, id: call.id, type: 'function', function: { name: call.function.name, arguments: '' } }] }));
      for (const piece of pieces(call.function.arguments, o.pieces)) events.push(chunk({ tool_calls: [{ index, function: { arguments: piece } }] }));
    });
    // Token data rides on the last chunk: the tokens of the whole completion at once.
    const tokens = {
      ...(c.tokens?.logprobs ? { logprobs: { content: wireLogprobs(c.tokens.logprobs) } } : {}),
      ...(c.tokens?.completionIds ? { token_ids: c.tokens.completionIds } : {}),
    };
    events.push(chunk({}, tokens, finishOf(c)));
    const usage = wireUsage(c);
    if (o.includeUsage === true && usage !== undefined) events.push({ ...base, choices: [], usage });
    return [...events.map((e) => ({ data: JSON.stringify(e) })), { data: '[DONE]' }];
  },

  errorBody: openAiErrorBody,
};
