// OpenAI Responses (POST /v1/responses), as codex speaks it: a request of instructions, input items
// (messages, function calls and their outputs, reasoning) and tools, normalized to chat messages;
// answers as a response object, or a stream of typed events (response.created, output items,
// text and argument deltas, response.completed) in the order OpenAI's SDK and codex expect.
import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import { formatIssues } from '../../../core/schema-issues.js';
import type { Completion, GatewayMessage, GatewayTool } from '../gateway-wire.js';
import { WireError, pieces, type ModelApi, type RenderOptions, type StreamFold } from './model-api.js';
import { openAiErrorBody } from './chat-completions-api.js';
import type { SseEvent } from './sse.js';
import { LogprobEntriesSchema, TokenCollector, jsonObject, parseWire, unixSeconds, wireLogprobs } from './wire-common.js';

const ItemSchema = z.object({ type: z.string().optional() }).loose();

export const ResponsesRequestSchema = z
  .object({
    model: z.string().optional(),
    instructions: z.string().nullish(),
    input: z.union([z.string(), z.array(ItemSchema)]),
    tools: z.array(z.object({ type: z.string() }).loose()).optional(),
    stream: z.boolean().optional(),
  })
  .loose();

const PartSchema = z.object({ type: z.string(), text: z.string().optional() }).loose();
const MessageItemSchema = z.object({ role: z.string(), content: z.union([z.string(), z.array(PartSchema)]) }).loose();
const FunctionCallSchema = z.object({ call_id: z.string().min(1), name: z.string().min(1), arguments: z.string() }).loose();
const CustomCallSchema = z.object({ call_id: z.string().min(1), name: z.string().min(1), input: z.string() }).loose();
const CallOutputSchema = z.object({ call_id: z.string().min(1), output: z.union([z.string(), z.array(PartSchema)]) }).loose();
const ShellCallSchema = z.object({ call_id: z.string().min(1), action: z.unknown() }).loose();
const ReasoningSchema = z.object({ summary: z.array(PartSchema).nullish(), content: z.array(PartSchema).nullish() }).loose();

const TEXT_PARTS = new Set(['input_text', 'output_text', 'text', 'summary_text', 'reasoning_text']);

function partsText(content: string | readonly z.infer<typeof PartSchema>[]): GatewayMessage['content'] {
  if (typeof content === 'string') return content;
  if (content.every((p) => TEXT_PARTS.has(p.type))) return content.map((p) => p.text ?? '').join('');
  return content.map((p) => (TEXT_PARTS.has(p.type) ? { type: 'text', text: p.text ?? '' } : p));
}

/** Input items as chat messages: consecutive calls share one assistant message, outputs become tool messages. */
function normalizeInput(input: string | readonly z.infer<typeof ItemSchema>[], instructions: string | null | undefined): { messages: GatewayMessage[] } | { error: string } {
  const messages: GatewayMessage[] = instructions != null && instructions !== '' ? [{ role: 'system', content: instructions }] : [];
  if (typeof input === 'string') return { messages: [...messages, { role: 'user', content: input }] };
  let reasoning = '';
  const assistant = (): Extract<GatewayMessage, { role: 'assistant' }> => {
    const last = messages.at(-1);
    if (last?.role === 'assistant') return last;
    const fresh: Extract<GatewayMessage, { role: 'assistant' }> = { role: 'assistant', content: null, tool_calls: [] };
    if (reasoning !== '') fresh.reasoning = reasoning;
    reasoning = '';
    messages.push(fresh);
    return fresh;
  };
  const call = (id: string, name: string, args: string): void => {
    const m = assistant();
    m.tool_calls = [...(m.tool_calls ?? []), { id, type: 'function', function: { name, arguments: args } }];
  };
  for (const [i, item] of input.entries()) {
    const type = item.type ?? 'message';
    const read = <T>(schema: z.ZodType<T>): T | string => {
      const p = schema.safeParse(item);
      return p.success ? p.data : formatIssues(p.error.issues, ['input', i]).join('; ');
    };
    const fail = (x: unknown): x is string => typeof x === 'string';
    switch (type) {
      case 'message': {
        const m = read(MessageItemSchema);
        if (fail(m)) return { error: m };
        const content = partsText(m.content);
        if (m.role === 'assistant') {
          const last = assistant();
          last.content = typeof content === 'string' ? `${typeof last.content === 'string' ? last.content : ''}${content}` : content;
        } else {
          messages.push({ role: m.role === 'developer' || m.role === 'system' ? 'system' : 'user', content });
        }
        break;
      }
      case 'function_call': {
        const c = read(FunctionCallSchema);
        if (fail(c)) return { error: c };
        call(c.call_id, c.name, c.arguments);
        break;
      }
      case 'custom_tool_call': {
        const c = read(CustomCallSchema);
        if (fail(c)) return { error: c };
        call(c.call_id, c.name, c.input);
        break;
      }
      case 'local_shell_call': {
        const c = read(ShellCallSchema);
        if (fail(c)) return { error: c };
        call(c.call_id, 'local_shell', JSON.stringify(c.action ?? {}));
        break;
      }
      case 'function_call_output':
      case 'custom_tool_call_output':
      case 'local_shell_call_output': {
        const o = read(CallOutputSchema);
        if (fail(o)) return { error: o };
        messages.push({ role: 'tool', tool_call_id: o.call_id, content: partsText(o.output) });
        break;
      }
      case 'reasoning': {
        const r = read(ReasoningSchema);
        if (fail(r)) return { error: r };
        reasoning += [...(r.summary ?? []), ...(r.content ?? [])].map((p) => p.text ?? '').join('');
        break;
      }
      default:
        break; // items that carry no conversation (web_search_call, item_reference, ...)
    }
  }
  return { messages };
}

function normalizeTools(tools: readonly { type: string; [k: string]: unknown }[]): GatewayTool[] {
  return tools.map((t) => {
    const name = typeof t.name === 'string' && t.name !== '' ? t.name : t.type;
    const fn: Record<string, unknown> = { name };
    if (typeof t.description === 'string') fn.description = t.description;
    if (t.parameters !== undefined) fn.parameters = t.parameters;
    if (t.type !== 'function') fn['x-responses-type'] = t.type;
    return { type: 'function', function: fn as { name: string } };
  });
}

const UsageSchema = z.object({ input_tokens: z.number().int().nonnegative(), output_tokens: z.number().int().nonnegative() }).loose().nullish();
const OutputItemSchema = z
  .object({
    type: z.string(),
    content: z.array(z.object({ type: z.string(), text: z.string().optional(), refusal: z.string().optional(), logprobs: LogprobEntriesSchema }).loose()).nullish(),
    summary: z.array(PartSchema).nullish(),
    call_id: z.string().nullish(),
    name: z.string().nullish(),
    arguments: z.string().nullish(),
    input: z.string().nullish(),
  })
  .loose();
const ResponseObjectSchema = z
  .object({
    id: z.string().nullish(),
    status: z.string().nullish(),
    output: z.array(OutputItemSchema).nullish(),
    usage: UsageSchema,
    incomplete_details: z.object({ reason: z.string().nullish() }).loose().nullish(),
    error: z.object({ message: z.string().nullish() }).loose().nullish(),
  })
  .loose();
type ResponseObject = z.infer<typeof ResponseObjectSchema>;

function completionOf(r: ResponseObject, items: readonly z.infer<typeof OutputItemSchema>[], extraLogprobs: TokenCollector | null): Completion {
  let text: string | null = null;
  let reasoning = '';
  const calls: Completion['message']['tool_calls'] = [];
  const tokens = new TokenCollector();
  for (const item of items) {
    if (item.type === 'message') {
      for (const part of item.content ?? []) {
        if (part.type === 'output_text') {
          text = (text ?? '') + (part.text ?? '');
          tokens.logprob(part.logprobs);
        } else if (part.type === 'refusal') text = (text ?? '') + (part.refusal ?? '');
      }
    } else if (item.type === 'reasoning') {
      reasoning += (item.summary ?? []).map((p) => p.text ?? '').join('');
      reasoning += (item.content ?? []).map((p) => p.text ?? '').join('');
    } else if (item.type === 'function_call' || item.type === 'custom_tool_call') {
      const id = item.call_id ?? `call_${calls.length}`;
      calls.push({ id, type: 'function', function: { name: item.name ?? '', arguments: (item.type === 'function_call' ? item.arguments : item.input) ?? '' } });
    }
  }
  const usage = r.usage == null ? null : { prompt: r.usage.input_tokens, completion: r.usage.output_tokens };
  const status = r.status ?? null;
  return {
    message: { role: 'assistant', content: text, tool_calls: calls, ...(reasoning !== '' ? { reasoning } : {}) },
    usage,
    completionId: r.id ?? null,
    finishReason: status === 'incomplete' ? (r.incomplete_details?.reason ?? status) : status,
    tokens: tokens.result() ?? extraLogprobs?.result() ?? null,
  };
}

class ResponsesFold implements StreamFold {
  private created: ResponseObject | null = null;
  private final: ResponseObject | null = null;
  private readonly items = new Map<number, z.infer<typeof OutputItemSchema>>();
  private readonly deltaLogprobs = new TokenCollector();

  get done(): boolean {
    return this.final !== null;
  }

  get complete(): boolean {
    return this.done;
  }

  add(event: SseEvent): void {
    if (this.final !== null) return;
    const e = jsonObject(event.data, 'stream event');
    const type = typeof e.type === 'string' ? e.type : (event.event ?? '');
    const responseOf = (): ResponseObject => parseWire(ResponseObjectSchema, e.response, `${type} response`);
    switch (type) {
      case 'response.created':
        this.created = responseOf();
        return;
      case 'response.output_item.done': {
        const index = typeof e.output_index === 'number' ? e.output_index : this.items.size;
        this.items.set(index, parseWire(OutputItemSchema, e.item, 'output item'));
        return;
      }
      case 'response.output_text.delta':
        this.deltaLogprobs.logprob(parseWire(LogprobEntriesSchema, e.logprobs, 'logprobs'));
        return;
      case 'response.completed':
      case 'response.incomplete':
        this.final = responseOf();
        return;
      case 'response.failed':
        throw new WireError(`the response failed: ${responseOf().error?.message ?? 'no reason given'}`);
      case 'error':
        throw new WireError(`server error in stream: ${typeof e.message === 'string' ? e.message : JSON.stringify(e)}`);
      default:
        return;
    }
  }

  result(): Completion {
    const r = this.final ?? this.created ?? {};
    const items = r.output != null && r.output.length > 0 ? r.output : [...this.items.entries()].sort(([a], [b]) => a - b).map(([, item]) => item);
    return completionOf({ ...r, id: r.id ?? this.created?.id ?? null }, items, this.deltaLogprobs);
  }
}

function newId(prefix: string): string {
  return `${prefix}${randomBytes(12).toString('hex')}`;
}

function wireUsage(c: Completion): object | null {
  if (c.usage === null) return null;
  const { prompt, completion } = c.usage;
  return { input_tokens: prompt, input_tokens_details: { cached_tokens: 0 }, output_tokens: completion, output_tokens_details: { reasoning_tokens: 0 }, total_tokens: prompt + completion };
}

/** The output items of a completion, done. Custom (freeform) tools of the request are called as such. */
function outputItems(c: Completion, customTools: ReadonlySet<string>): Record<string, unknown>[] {
  const items: Record<string, unknown>[] = [];
  if (c.message.reasoning !== undefined) items.push({ id: newId('rs_'), type: 'reasoning', summary: [{ type: 'summary_text', text: c.message.reasoning }] });
  if (c.message.content !== null) {
    const part = { type: 'output_text', annotations: [], logprobs: c.tokens?.logprobs ? wireLogprobs(c.tokens.logprobs) : [], text: c.message.content };
    items.push({ id: newId('msg_'), type: 'message', status: 'completed', content: [part], role: 'assistant' });
  }
  for (const call of c.message.tool_calls) {
    const { name, arguments: args } = call.function;
    items.push(
      customTools.has(name)
        ? { id: newId('ctc_'), type: 'custom_tool_call', status: 'completed', call_id: call.id, name, input: args }
        : { id: newId('fc_'), type: 'function_call', status: 'completed', arguments: args, call_id: call.id, name },
    );
  }
  return items;
}

function responseObject(c: Completion, o: RenderOptions, status: string, output: object[], usage: object | null): Record<string, unknown> {
  const incomplete = status === 'incomplete' ? { reason: c.finishReason ?? 'max_output_tokens' } : null;
  return {
    id: c.completionId,
    object: 'response',
    created_at: unixSeconds(),
    status,
    error: null,
    incomplete_details: incomplete,
    instructions: null,
    max_output_tokens: null,
    model: o.model,
    output,
    parallel_tool_calls: true,
    previous_response_id: null,
    reasoning: { effort: null, summary: null },
    store: false,
    temperature: null,
    text: { format: { type: 'text' } },
    tool_choice: 'auto',
    tools: [],
    top_p: null,
    truncation: 'disabled',
    usage,
    user: null,
    metadata: {},
  };
}

function statusOf(c: Completion): string {
  return c.finishReason === null || c.finishReason === 'completed' ? 'completed' : 'incomplete';
}

/** Names of the request's custom (freeform) tools, which answer with custom_tool_call items. */
export function customToolNames(body: Record<string, unknown>): Set<string> {
  const tools = Array.isArray(body.tools) ? (body.tools as unknown[]) : [];
  return new Set(tools.flatMap((t) => (typeof t === 'object' && t !== null && (t as { type?: unknown }).type === 'custom' && typeof (t as { name?: unknown }).name === 'string' ? [(t as { name: string }).name] : [])));
}

export const responsesApi: ModelApi = {
  name: 'responses',
  protocol: 'openai',
  path: '/v1/responses',
  upstreamPath: '/responses',
  toolCallIdPrefix: 'call_',
  completionIdPrefix: 'resp_',

  parseRequest(json) {
    const parsed = ResponsesRequestSchema.safeParse(json);
    if (!parsed.success) return { error: formatIssues(parsed.error.issues).join('; ') };
    const body = parsed.data;
    const normalized = normalizeInput(body.input, body.instructions);
    if ('error' in normalized) return normalized;
    if (normalized.messages.length === 0) return { error: 'input: at least one item is needed' };
    return { request: { body, stream: body.stream === true, model: body.model ?? null, messages: normalized.messages, tools: normalizeTools(body.tools ?? []) } };
  },

  parseResponse(json) {
    const r = parseWire(ResponseObjectSchema, json, 'response');
    if (r.status === 'failed') throw new WireError(`the response failed: ${r.error?.message ?? 'no reason given'}`);
    return completionOf(r, r.output ?? [], null);
  },

  streamFold: () => new ResponsesFold(),

  renderJson(c, o) {
    return JSON.stringify(responseObject(c, o, statusOf(c), outputItems(c, o.customTools ?? new Set()), wireUsage(c)));
  },

  renderEvents(c, o) {
    const events: SseEvent[] = [];
    let seq = 0;
    const emit = (type: string, fields: object): void => {
      events.push({ event: type, data: JSON.stringify({ type, sequence_number: seq++, ...fields }) });
    };
    const start = responseObject(c, o, 'in_progress', [], null);
    emit('response.created', { response: start });
    emit('response.in_progress', { response: start });
    const items = outputItems(c, o.customTools ?? new Set());
    items.forEach((item, output_index) => {
      const item_id = item.id;
      switch (item.type) {
        case 'reasoning': {
          const text = c.message.reasoning ?? '';
          emit('response.output_item.added', { output_index, item: { ...item, summary: [] } });
          emit('response.reasoning_summary_part.added', { item_id, output_index, summary_index: 0, part: { type: 'summary_text', text: '' } });
          for (const delta of pieces(text, o.pieces)) emit('response.reasoning_summary_text.delta', { item_id, output_index, summary_index: 0, delta });
          emit('response.reasoning_summary_text.done', { item_id, output_index, summary_index: 0, text });
          emit('response.reasoning_summary_part.done', { item_id, output_index, summary_index: 0, part: { type: 'summary_text', text } });
          break;
        }
        case 'message': {
          const part = (item.content as { logprobs: object[]; text: string }[])[0] ?? { logprobs: [], text: '' };
          emit('response.output_item.added', { output_index, item: { ...item, status: 'in_progress', content: [] } });
          emit('response.content_part.added', { item_id, output_index, content_index: 0, part: { ...part, logprobs: [], text: '' } });
          for (const delta of pieces(part.text, o.pieces)) emit('response.output_text.delta', { item_id, output_index, content_index: 0, delta, logprobs: [] });
          emit('response.output_text.done', { item_id, output_index, content_index: 0, text: part.text, logprobs: part.logprobs });
          emit('response.content_part.done', { item_id, output_index, content_index: 0, part });
          break;
        }
        case 'function_call': {
          const args = item.arguments as string;
          emit('response.output_item.added', { output_index, item: { ...item, status: 'in_progress', arguments: '' } });
          for (const delta of pieces(args, o.pieces)) emit('response.function_call_arguments.delta', { item_id, output_index, delta });
          emit('response.function_call_arguments.done', { item_id, output_index, name: item.name, arguments: args });
          break;
        }
        default: {
          const input = item.input as string;
          emit('response.output_item.added', { output_index, item: { ...item, status: 'in_progress', input: '' } });
          for (const delta of pieces(input, o.pieces)) emit('response.custom_tool_call_input.delta', { item_id, output_index, delta });
          emit('response.custom_tool_call_input.done', { item_id, output_index, input });
        }
      }
      emit('response.output_item.done', { output_index, item });
    });
    const status = statusOf(c);
    emit(status === 'completed' ? 'response.completed' : 'response.incomplete', { response: responseObject(c, o, status, items, wireUsage(c)) });
    return events;
  },

  errorBody: openAiErrorBody,
};
