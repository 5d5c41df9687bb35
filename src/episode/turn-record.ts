// A model turn of an agent-native episode as the store keeps it: what the gateway recorded (the
// request normalized to chat messages and tools, the response, usage, token ids and logprobs),
// tied to its episode. The export reads the agent's own system prompt and tools from these.
import { z } from 'zod';
import { API_NAMES, GatewayMessageSchema, GatewayToolSchema, TurnTokensSchema, WireToolCallSchema, type Turn } from '../agent/gateway/gateway-wire.js';

const epochMs = z.number().int().nonnegative();

export const TurnResponseSchema = z.strictObject({
  role: z.literal('assistant'),
  content: z.string().nullable(),
  tool_calls: z.array(WireToolCallSchema),
  reasoning: z.string().optional(),
});

export const TurnRecordSchema = z.strictObject({
  episodeId: z.string().min(1),
  id: z.string().min(1).describe('The turn id steps name in `turn`.'),
  index: z.number().int().positive().describe("1-based, per sandbox, in order of arrival; failed turns keep their number."),
  api: z.enum(API_NAMES),
  model: z.string().nullable().describe('The model the agent named.'),
  stream: z.boolean(),
  requestedAt: epochMs,
  respondedAt: epochMs,
  request: z.strictObject({ messages: z.array(GatewayMessageSchema), tools: z.array(GatewayToolSchema) }),
  response: TurnResponseSchema.nullable().describe('Null when the turn failed.'),
  usage: z.strictObject({ prompt: z.number().int().nonnegative(), completion: z.number().int().nonnegative() }).optional(),
  completionId: z.string().optional(),
  finishReason: z.string().optional(),
  tokens: TurnTokensSchema.optional(),
  error: z.string().optional(),
});
export type TurnRecord = z.infer<typeof TurnRecordSchema>;
export type TurnRecordInput = z.input<typeof TurnRecordSchema>;

/** A gateway turn as the episode stores it. */
export function toTurnRecord(episodeId: string, turn: Turn): TurnRecord {
  const { sandboxId: _sandbox, ...rest } = turn;
  return TurnRecordSchema.parse({ episodeId, ...rest });
}
