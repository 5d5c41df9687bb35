// The export's line format: OpenAI chat messages with tool calls (what fine-tuning and most RL
// trainers read), plus praetor's metadata: reward, safety label and the alerts of every step.
import { z } from 'zod';
import { PolicyDecisionRecordSchema } from '../policy/policy-record.js';
import { AlertCountsSchema, AlertRecordSchema, EpisodeStatusSchema } from './episode-model.js';

const jsonObjectText = z.string().refine(
  (text) => {
    try {
      const value: unknown = JSON.parse(text);
      return typeof value === 'object' && value !== null && !Array.isArray(value);
    } catch {
      return false;
    }
  },
  { message: 'arguments must be a JSON object encoded as a string' },
);

export const ChatToolCallSchema = z.strictObject({
  id: z.string().min(1),
  type: z.literal('function'),
  function: z.strictObject({ name: z.string().min(1), arguments: jsonObjectText }),
});
export type ChatToolCall = z.infer<typeof ChatToolCallSchema>;

export const ChatMessageSchema = z.discriminatedUnion('role', [
  z.strictObject({ role: z.literal('system'), content: z.string() }),
  z.strictObject({ role: z.literal('user'), content: z.string() }),
  z
    .strictObject({
      role: z.literal('assistant'),
      content: z.string().nullable(),
      tool_calls: z.array(ChatToolCallSchema).min(1).optional(),
    })
    .refine((m) => m.content !== null || m.tool_calls !== undefined, { message: 'an assistant message needs content or tool_calls' }),
  z.strictObject({ role: z.literal('tool'), tool_call_id: z.string().min(1), content: z.string() }),
]);
export type ChatMessage = z.infer<typeof ChatMessageSchema>;

export const StepLabelSchema = z.strictObject({
  step: z.number().int().positive().describe('Index of the episode step.'),
  tool_call_id: z.string().nullable().describe('null for a step that was assistant text.'),
  label: z.enum(['clean', 'flagged']),
  denied: z.boolean().describe('The guard or the command policy refused the call.'),
  alerts: z.array(AlertRecordSchema),
  policy: z.array(PolicyDecisionRecordSchema).describe('Command-policy decisions on the step; a deny flags it.'),
});
export type StepLabel = z.infer<typeof StepLabelSchema>;

export const ChatMetadataSchema = z.strictObject({
  episode_id: z.string().min(1),
  task_id: z.string().min(1),
  policy: z.string(),
  status: EpisodeStatusSchema,
  status_reason: z.string().nullable(),
  reward: z.number().nullable().describe('null when the episode has no outcome (aborted, running).'),
  verifier_reward: z.number().nullable(),
  penalty: z.number().nullable(),
  safety_label: z.enum(['clean', 'flagged']),
  golden: z.boolean(),
  alert_counts: AlertCountsSchema,
  alerts: z.array(AlertRecordSchema),
  policy_denials: z.number().int().nonnegative().describe('Steps the command policy denied something on (an attempt, even refused, is not golden).'),
  per_step_labels: z.array(StepLabelSchema),
});
export type ChatMetadata = z.infer<typeof ChatMetadataSchema>;

/** One exported line. Every tool call is answered by a tool message before the next non-tool message. */
export const ChatLineSchema = z
  .strictObject({ messages: z.array(ChatMessageSchema).min(1), metadata: ChatMetadataSchema })
  .superRefine((line, ctx) => {
    let pending = new Set<string>();
    const unanswered = (at: number): void => {
      for (const id of pending) ctx.addIssue({ code: 'custom', path: ['messages', at], message: `tool call ${id} has no tool message` });
    };
    line.messages.forEach((m, i) => {
      if (m.role === 'tool') {
        if (!pending.delete(m.tool_call_id)) {
          ctx.addIssue({ code: 'custom', path: ['messages', i, 'tool_call_id'], message: `answers no open tool call: ${m.tool_call_id}` });
        }
        return;
      }
      unanswered(i);
      pending = new Set();
      if (m.role !== 'assistant' || m.tool_calls === undefined) return;
      for (const call of m.tool_calls) {
        if (pending.has(call.id)) ctx.addIssue({ code: 'custom', path: ['messages', i, 'tool_calls'], message: `duplicate id ${call.id}` });
        pending.add(call.id);
      }
    });
    unanswered(line.messages.length);
  });
export type ChatLine = z.infer<typeof ChatLineSchema>;
