// Anthropic Messages (POST /v1/messages, `?beta=true` as claude-code sends it): a system prompt,
// user and assistant turns of content blocks (text, tool_use, tool_result, thinking) and tools with
// input_schema, normalized to chat messages; answers as a message object, or the event stream
// message_start, content_block_start/delta/stop, message_delta, message_stop.
import { z } from 'zod';
import { formatIssues } from '../../../core/schema-issues.js';
import type { Completion, GatewayMessage, GatewayTool } from '../gateway-wire.js';
import { WireError, pieces, type GatewayErrorKind, type ModelApi, type StreamFold } from './model-api.js';
import type { SseEvent } from './sse.js';
import { jsonObject, parseWire } from './wire-common.js';

const BlockSchema = z.object({ type: z.string() }).loose();
const ContentSchema = z.union([z.string(), z.array(BlockSchema)]);

export const MessagesRequestSchema = z
  .object({
    model: z.string().optional(),
    system: z.union([z.string(), z.array(BlockSchema)]).optional(),
    // claude-code 2.1 sends system messages mid-conversation (its mid-conversation-tool-changes beta)
    messages: z.array(z.object({ role: z.enum(['user', 'assistant', 'system']), content: ContentSchema }).loose()).min(1, 'at least one message is needed'),
    tools: z.array(z.object({ name: z.string().min(1) }).loose()).optional(),
    stream: z.boolean().optional(),
  })
  .loose();

const ToolUseBlock = z.object({ id: z.string().min(1), name: z.string().min(1), input: z.unknown() }).loose();
const ToolResultBlock = z.object({ tool_use_id: z.string().min(1), content: ContentSchema.optional(), is_error: z.boolean().optional() }).loose();
const ThinkingBlock = z.object({ thinking: z.string() }).loose();

function blocksText(content: string | readonly z.infer<typeof BlockSchema>[] | undefined): GatewayMessage['content'] {
  if (content === undefined) return '';
  if (typeof content === 'string') return content;
  if (content.every((b) => b.type === 'text')) return content.map((b) => (typeof b.text === 'string' ? b.text : '')).join('');
  return [...content];
}

function normalize(body: z.infer<typeof MessagesRequestSchema>): { messages: GatewayMessage[] } | { error: string } {
  const messages: GatewayMessage[] = [];
  if (body.system !== undefined) messages.push({ role: 'system', content: blocksText(body.system) });
  for (const [i, m] of body.messages.entries()) {
    if (m.role === 'system') {
      messages.push({ role: 'system', content: blocksText(m.content) });
      continue;
    }
    if (typeof m.content === 'string') {
      messages.push({ role: m.role, content: m.content });
      continue;
    }
    const rest: z.infer<typeof BlockSchema>[] = [];
    const calls: { id: string; type: 'function'; function: { name: string; arguments: string } }[] = [];
    let reasoning = '';
    for (const [j, block] of m.content.entries()) {
      const issues = (error: z.ZodError): { error: string } => ({ error: formatIssues(error.issues, ['messages', i, 'content', j]).join('; ') });
      if (block.type === 'tool_result' && m.role === 'user') {
        const r = ToolResultBlock.safeParse(block);
        if (!r.success) return issues(r.error);
        const result = r.data;
        messages.push({ role: 'tool', tool_call_id: result.tool_use_id, content: blocksText(result.content), ...(result.is_error === true ? { is_error: true } : {}) });
      } else if (block.type === 'tool_use' && m.role === 'assistant') {
        const u = ToolUseBlock.safeParse(block);
        if (!u.success) return issues(u.error);
        const use = u.data;
        calls.push({ id: use.id, type: 'function', function: { name: use.name, arguments: JSON.stringify(use.input ?? {}) } });
      } else if (block.type === 'thinking' && m.role === 'assistant') {
        const t = ThinkingBlock.safeParse(block);
        if (t.success) reasoning += t.data.thinking;
      } else if (block.type !== 'redacted_thinking') {
        rest.push(block);
      }
    }
    if (m.role === 'user') {
      if (rest.length > 0) messages.push({ role: 'user', content: blocksText(rest) });
      continue;
    }
    const text = blocksText(rest);
    messages.push({
      role: 'assistant',
      content: text === '' && calls.length > 0 ? null : text,
      ...(calls.length > 0 ? { tool_calls: calls } : {}),
      ...(reasoning !== '' ? { reasoning } : {}),
    });
  }
  return { messages };
}

function normalizeTools(tools: readonly { name: string; [k: string]: unknown }[]): GatewayTool[] {
  return tools.map((t) => {
    const fn: Record<string, unknown> = { name: t.name };
    if (typeof t.description === 'string') fn.description = t.description;
    if (t.input_schema !== undefined) fn.parameters = t.input_schema;
    if (typeof t.type === 'string' && t.type !== 'custom') fn['x-anthropic-type'] = t.type;
    return { type: 'function', function: fn as { name: string } };
  });
}

const UsageSchema = z
  .object({
    input_tokens: z.number().int().nonnegative().nullish(),
    output_tokens: z.number().int().nonnegative().nullish(),
    cache_creation_input_tokens: z.number().int().nonnegative().nullish(),
    cache_read_input_tokens: z.number().int().nonnegative().nullish(),
  })
  .loose();
type Usage = z.infer<typeof UsageSchema>;

const MessageSchema = z
  .object({ id: z.string().nullish(), content: z.array(BlockSchema), stop_reason: z.string().nullish(), usage: UsageSchema.nullish() })
  .loose();

/** Prompt tokens are Anthropic's input tokens plus those read from or written to the cache. */
function usageOf(u: Usage | null | undefined): Completion['usage'] {
  if (u == null) return null;
  return { prompt: (u.input_tokens ?? 0) + (u.cache_creation_input_tokens ?? 0) + (u.cache_read_input_tokens ?? 0), completion: u.output_tokens ?? 0 };
}

interface BlockState {
  type: string;
  text: string;
  id: string;
  name: string;
  json: string;
  startInput: unknown;
}

function completionOf(id: string | null, blocks: readonly BlockState[], stopReason: string | null, usage: Completion['usage']): Completion {
  let text: string | null = null;
  let reasoning = '';
  const calls: Completion['message']['tool_calls'] = [];
  for (const b of blocks) {
    if (b.type === 'text') text = (text ?? '') + b.text;
    else if (b.type === 'thinking') reasoning += b.text;
    else if (b.type === 'tool_use') calls.push({ id: b.id, type: 'function', function: { name: b.name, arguments: b.json !== '' ? b.json : JSON.stringify(b.startInput ?? {}) } });
  }
  return { message: { role: 'assistant', content: text, tool_calls: calls, ...(reasoning !== '' ? { reasoning } : {}) }, usage, completionId: id, finishReason: stopReason, tokens: null };
}

function blockState(block: z.infer<typeof BlockSchema>): BlockState {
  const str = (v: unknown): string => (typeof v === 'string' ? v : '');
  return { type: block.type, text: str(block.text) + str(block.thinking), id: str(block.id), name: str(block.name), json: '', startInput: block.input };
}

const DeltaSchema = z
  .object({ type: z.string(), text: z.string().optional(), partial_json: z.string().optional(), thinking: z.string().optional() })
  .loose();

class MessagesFold implements StreamFold {
  private id: string | null = null;
  private readonly blocks = new Map<number, BlockState>();
  private stopReason: string | null = null;
  private usage: Usage = {};
  private stopped = false;

  get done(): boolean {
    return this.stopped;
  }

  get complete(): boolean {
    return this.done;
  }

  add(event: SseEvent): void {
    if (this.stopped) return;
    const e = jsonObject(event.data, 'stream event');
    const index = typeof e.index === 'number' ? e.index : -1;
    const type = typeof e.type === 'string' ? e.type : (event.event ?? '');
    switch (type) {
      case 'message_start': {
        const m = parseWire(MessageSchema.partial({ content: true }), e.message, 'message_start message');
        this.id = m.id ?? null;
        this.usage = { ...this.usage, ...m.usage };
        return;
      }
      case 'content_block_start':
        this.blocks.set(index, blockState(parseWire(BlockSchema, e.content_block, 'content block')));
        return;
      case 'content_block_delta': {
        const block = this.blocks.get(index);
        if (block === undefined) throw new WireError(`a delta for content block ${index}, which never started`);
        const d = parseWire(DeltaSchema, e.delta, 'content block delta');
        if (d.type === 'text_delta') block.text += d.text ?? '';
        else if (d.type === 'thinking_delta') block.text += d.thinking ?? '';
        else if (d.type === 'input_json_delta') block.json += d.partial_json ?? '';
        return;
      }
      case 'message_delta': {
        const delta = z.object({ stop_reason: z.string().nullish() }).loose().safeParse(e.delta);
        if (delta.success && delta.data.stop_reason != null) this.stopReason = delta.data.stop_reason;
        const usage = UsageSchema.safeParse(e.usage);
        // message_delta's counts are totals of the whole message: they replace, never add.
        if (usage.success) for (const [k, v] of Object.entries(usage.data)) if (v != null) (this.usage as Record<string, unknown>)[k] = v;
        return;
      }
      case 'message_stop':
        this.stopped = true;
        return;
      case 'error': {
        const err = z.object({ error: z.object({ message: z.string() }).loose() }).loose().safeParse(e);
        throw new WireError(`server error in stream: ${err.success ? err.data.error.message : event.data}`);
      }
      default:
        return; // ping, and events newer than this reader
    }
  }

  result(): Completion {
    const blocks = [...this.blocks.entries()].sort(([a], [b]) => a - b).map(([, b]) => b);
    return completionOf(this.id, blocks, this.stopReason, usageOf(this.usage));
  }
}

const ERROR_TYPES: Record<GatewayErrorKind, string> = {
  invalid_request: 'invalid_request_error',
  authentication: 'authentication_error',
  not_found: 'not_found_error',
  too_large: 'request_too_large',
  rate_limit: 'rate_limit_error',
  upstream: 'api_error',
  server: 'api_error',
};

function stopOf(c: Completion): string {
  return c.finishReason ?? (c.message.tool_calls.length > 0 ? 'tool_use' : 'end_turn');
}

/** Tool input as an object; arguments that are not one can not be said in this API. */
export function toolInput(args: string): Record<string, unknown> {
  const value: unknown = args.trim() === '' ? {} : JSON.parse(args);
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new WireError('tool call arguments must be a JSON object in Anthropic Messages');
  return value as Record<string, unknown>;
}

function contentBlocks(c: Completion): Record<string, unknown>[] {
  const blocks: Record<string, unknown>[] = [];
  if (c.message.reasoning !== undefined) blocks.push({ type: 'thinking', thinking: c.message.reasoning, signature: '' });
  if (c.message.content !== null) blocks.push({ type: 'text', text: c.message.content });
  for (const call of c.message.tool_calls) blocks.push({ type: 'tool_use', id: call.id, name: call.function.name, input: toolInput(call.function.arguments) });
  return blocks;
}

function wireUsage(c: Completion): { input_tokens: number; output_tokens: number } {
  return { input_tokens: c.usage?.prompt ?? 0, output_tokens: c.usage?.completion ?? 0 };
}

export const anthropicMessagesApi: ModelApi = {
  name: 'anthropic-messages',
  protocol: 'anthropic',
  path: '/v1/messages',
  upstreamPath: '/v1/messages',
  toolCallIdPrefix: 'toolu_',
  completionIdPrefix: 'msg_',

  parseRequest(json) {
    const parsed = MessagesRequestSchema.safeParse(json);
    if (!parsed.success) return { error: formatIssues(parsed.error.issues).join('; ') };
    const body = parsed.data;
    const normalized = normalize(body);
    if ('error' in normalized) return normalized;
    return { request: { body, stream: body.stream === true, model: body.model ?? null, messages: normalized.messages, tools: normalizeTools(body.tools ?? []) } };
  },

  parseResponse(json) {
    const m = parseWire(MessageSchema, json, 'message');
    return completionOf(m.id ?? null, m.content.map(blockState).map((b, i) => ({ ...b, json: b.type === 'tool_use' ? JSON.stringify(m.content[i]?.input ?? {}) : '' })), m.stop_reason ?? null, usageOf(m.usage));
  },

  streamFold: () => new MessagesFold(),

  renderJson(c, o) {
    return JSON.stringify({ id: c.completionId, type: 'message', role: 'assistant', model: o.model, content: contentBlocks(c), stop_reason: stopOf(c), stop_sequence: null, usage: wireUsage(c) });
  },

  renderEvents(c, o) {
    const events: SseEvent[] = [];
    const emit = (type: string, fields: object): void => {
      events.push({ event: type, data: JSON.stringify({ type, ...fields }) });
    };
    const usage = wireUsage(c);
    emit('message_start', {
      message: { id: c.completionId, type: 'message', role: 'assistant', model: o.model, content: [], stop_reason: null, stop_sequence: null, usage: { input_tokens: usage.input_tokens, output_tokens: 0 } },
    });
    emit('ping', {});
    contentBlocks(c).forEach((block, index) => {
      switch (block.type) {
        case 'thinking':
          emit('content_block_start', { index, content_block: { type: 'thinking', thinking: '', signature: '' } });
          for (const thinking of pieces(block.thinking as string, o.pieces)) emit('content_block_delta', { index, delta: { type: 'thinking_delta', thinking } });
          break;
        case 'text':
          emit('content_block_start', { index, content_block: { type: 'text', text: '' } });
          for (const text of pieces(block.text as string, o.pieces)) emit('content_block_delta', { index, delta: { type: 'text_delta', text } });
          break;
        default: {
          emit('content_block_start', { index, content_block: { ...block, input: {} } });
          const call = c.message.tool_calls.find((t) => t.id === block.id);
          for (const partial_json of pieces(call?.function.arguments ?? '', o.pieces)) emit('content_block_delta', { index, delta: { type: 'input_json_delta', partial_json } });
        }
      }
      emit('content_block_stop', { index });
    });
    emit('message_delta', { delta: { stop_reason: stopOf(c), stop_sequence: null }, usage: { output_tokens: usage.output_tokens } });
    emit('message_stop', {});
    return events;
  },

  errorBody: (kind, message) => ({ type: 'error', error: { type: ERROR_TYPES[kind], message } }),
};

