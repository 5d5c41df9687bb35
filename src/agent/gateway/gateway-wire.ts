// What crosses the model gateway: the chat request a sandboxed agent sends (zod, lenient where
// OpenAI clients differ, strict where the record depends on it), the answer an external trainer
// gives, the turn the gateway records, and OpenAI-style error bodies.
import { z } from 'zod';
import type { WireToolCall } from '../model/model-client.js';
import type { TokenUsage } from '../policies/policy.js';

const WireToolCallSchema = z
  .object({
    id: z.string().min(1),
    type: z.literal('function').default('function'),
    function: z.object({ name: z.string().min(1), arguments: z.string() }).loose(),
  })
  .loose();

/** Text, or the content-parts form ({type: 'text', text}) newer clients send. */
const ContentSchema = z.union([z.string(), z.array(z.object({ type: z.string() }).loose())]).nullish();

// Unknown fields are kept (loose): they go upstream as the agent wrote them (name, refusal, ...).
export const GatewayMessageSchema = z.discriminatedUnion('role', [
  z.object({ role: z.enum(['system', 'developer', 'user']), content: ContentSchema }).loose(),
  z.object({ role: z.literal('assistant'), content: ContentSchema, tool_calls: z.array(WireToolCallSchema).nullish() }).loose(),
  z.object({ role: z.literal('tool'), tool_call_id: z.string().min(1), content: ContentSchema }).loose(),
]);
export type GatewayMessage = z.infer<typeof GatewayMessageSchema>;

export const GatewayToolSchema = z
  .object({ type: z.literal('function'), function: z.object({ name: z.string().min(1) }).loose() })
  .loose();
export type GatewayTool = z.infer<typeof GatewayToolSchema>;

/** POST /v1/chat/completions. Sampling fields (temperature, max_tokens, ...) pass through unchecked. */
export const GatewayRequestSchema = z
  .object({
    model: z.string().optional(),
    messages: z.array(GatewayMessageSchema).min(1, 'at least one message is needed'),
    tools: z.array(GatewayToolSchema).optional(),
    stream: z.boolean().optional(),
    n: z.literal(1, 'the gateway records one completion per request: n must be 1').optional(),
  })
  .loose();
export type GatewayRequest = z.infer<typeof GatewayRequestSchema>;

/** What an external trainer answers for one request: the assistant message, and usage if it knows it. */
export const TrainerAnswerSchema = z.object({
  content: z.string().nullish(),
  tool_calls: z.array(WireToolCallSchema).optional(),
  usage: z.object({ prompt: z.number().int().nonnegative(), completion: z.number().int().nonnegative() }).optional(),
  finishReason: z.string().optional(),
});
export type TrainerAnswer = z.input<typeof TrainerAnswerSchema>;

/** The assistant message of a turn, as the agent received it. */
export interface TurnResponse {
  role: 'assistant';
  content: string | null;
  tool_calls: WireToolCall[];
}

/** A completion the gateway delivered (or is delivering), in the form it records. */
export interface Completion {
  readonly message: TurnResponse;
  readonly usage: TokenUsage | null;
  readonly completionId: string | null;
  readonly finishReason: string | null;
}

/** A turn while its request is with the model. */
export interface TurnRequest {
  readonly id: string;
  readonly sandboxId: string;
  /** 1-based, per sandbox, in order of arrival. */
  readonly index: number;
  readonly requestedAt: number;
  readonly request: { messages: GatewayMessage[]; tools: GatewayTool[] };
}

/** One model round trip of a sandboxed agent: request in, assistant message (or error) out. */
export interface Turn extends TurnRequest {
  /** When the response was handed to the agent (streams: when the last event was). */
  readonly respondedAt: number;
  /** Null when the turn failed. */
  readonly response: TurnResponse | null;
  readonly usage?: TokenUsage;
  readonly completionId?: string;
  readonly error?: string;
}

export type OpenAiErrorType = 'invalid_request_error' | 'authentication_error' | 'upstream_error' | 'server_error';

export function openAiErrorBody(message: string, type: OpenAiErrorType, code: string | null = null): { error: { message: string; type: OpenAiErrorType; param: null; code: string | null } } {
  return { error: { message, type, param: null, code } };
}

/** The text of a message's content, whichever form it came in. */
export function contentText(content: GatewayMessage['content']): string {
  if (content === null || content === undefined) return '';
  if (typeof content === 'string') return content;
  return content.map((part) => (typeof part.text === 'string' ? part.text : '')).join('');
}

/** Tool calls as the wire carries them: arguments a JSON string, type 'function'. */
export function wireToolCalls(calls: readonly z.infer<typeof WireToolCallSchema>[] | null | undefined): WireToolCall[] {
  return (calls ?? []).map((c) => ({ id: c.id, type: 'function', function: { name: c.function.name, arguments: c.function.arguments } }));
}
