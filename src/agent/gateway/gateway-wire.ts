// What the model gateway records, whatever API the agent spoke: a request normalized to OpenAI chat
// messages and function tools (the one shape every API's turns are stored and exported in), the
// assistant message the agent received, usage, and token ids and logprobs when the upstream sent
// them; and the answer an external trainer gives for one request.
import { z } from 'zod';
import type { WireToolCall } from '../model/model-client.js';
import type { TokenUsage } from '../policies/policy.js';

/** The APIs the gateway speaks: OpenAI chat completions, OpenAI Responses, Anthropic Messages. */
export const API_NAMES = ['chat-completions', 'responses', 'anthropic-messages'] as const;
export type ApiName = (typeof API_NAMES)[number];

export const WireToolCallSchema = z
  .object({
    id: z.string().min(1),
    type: z.literal('function').default('function'),
    function: z.object({ name: z.string().min(1), arguments: z.string() }).loose(),
  })
  .loose();

/** Text, or the content-parts form ({type: 'text', text}) newer clients send. */
export const ContentSchema = z.union([z.string(), z.array(z.object({ type: z.string() }).loose())]).nullish();

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

/** One token of a completion: its text, log probability and, when the server gave it, its id. */
export const TokenLogprobSchema = z.strictObject({
  token: z.string(),
  logprob: z.number(),
  tokenId: z.number().int().nonnegative().optional(),
});
export type TokenLogprob = z.infer<typeof TokenLogprobSchema>;

/** Token-level data of a turn, as vLLM and SGLang return it when asked (return_token_ids, logprobs). */
export const TurnTokensSchema = z.strictObject({
  promptIds: z.array(z.number().int().nonnegative()).optional().describe('Token ids of the prompt the server rendered.'),
  completionIds: z.array(z.number().int().nonnegative()).optional().describe('Token ids of the completion.'),
  logprobs: z.array(TokenLogprobSchema).optional().describe('Per completion token, in order.'),
});
export type TurnTokens = z.infer<typeof TurnTokensSchema>;

/** What an external trainer answers for one request: the assistant message, and what it knows of tokens. */
export const TrainerAnswerSchema = z.strictObject({
  content: z.string().nullish(),
  /** Reasoning text shown to the agent as the API's thinking/reasoning part, when it has one. */
  reasoning: z.string().optional(),
  tool_calls: z
    .array(
      z.strictObject({
        id: z.string().min(1).optional().describe('Made up in the API\'s style when absent.'),
        type: z.literal('function').optional(),
        function: z.strictObject({ name: z.string().min(1), arguments: z.string() }),
      }),
    )
    .optional(),
  usage: z.strictObject({ prompt: z.number().int().nonnegative(), completion: z.number().int().nonnegative() }).optional(),
  finishReason: z.string().optional().describe("In the agent's API's terms; the natural one when absent."),
  tokens: TurnTokensSchema.optional(),
});
export type TrainerAnswer = z.input<typeof TrainerAnswerSchema>;

/** The assistant message of a turn, as the agent received it. */
export interface TurnResponse {
  role: 'assistant';
  content: string | null;
  tool_calls: WireToolCall[];
  /** Reasoning or thinking text the response carried. */
  reasoning?: string;
}

/** A completion the gateway delivered (or is delivering), in the form it records. */
export interface Completion {
  readonly message: TurnResponse;
  readonly usage: TokenUsage | null;
  readonly completionId: string | null;
  /** As the API said it: stop/tool_calls, end_turn/tool_use, completed/incomplete. */
  readonly finishReason: string | null;
  readonly tokens: TurnTokens | null;
}

/** A turn while its request is with the model. */
export interface TurnRequest {
  readonly id: string;
  readonly sandboxId: string;
  /** 1-based, per sandbox, in order of arrival. */
  readonly index: number;
  readonly requestedAt: number;
  readonly api: ApiName;
  /** The model the agent named. */
  readonly model: string | null;
  readonly stream: boolean;
  /** The request normalized to chat messages and function tools, whatever API it came in. */
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
  readonly finishReason?: string;
  readonly tokens?: TurnTokens;
  readonly error?: string;
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
