// The export's line format: OpenAI chat messages with tool calls and the tools offered (what
// fine-tuning and most RL trainers read), plus praetor's metadata: reward and its penalty per
// behaviour, the safety label and alerts of every step, and for agent-native episodes each model
// turn with its token ids and logprobs. docs/export-schema.json is generated from ChatLineSchema.
import { z } from 'zod';
import { API_NAMES } from '../agent/gateway/gateway-wire.js';
import { PolicyDecisionRecordSchema } from '../policy/policy-record.js';
import { AlertCountsSchema, AlertRecordSchema, EpisodeStatusSchema, SeveritySchema, ToolDeclarationSchema } from './episode-model.js';

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
  function: z.strictObject({ name: z.string().min(1), arguments: jsonObjectText.describe('A JSON object as a string.') }),
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
      reasoning_content: z.string().optional().describe('Reasoning or thinking the model sent with the message.'),
    })
    .refine((m) => m.content !== null || m.tool_calls !== undefined, { message: 'an assistant message needs content or tool_calls' }),
  z.strictObject({ role: z.literal('tool'), tool_call_id: z.string().min(1), content: z.string() }),
]);
export type ChatMessage = z.infer<typeof ChatMessageSchema>;

export const GpuUseSchema = z
  .strictObject({
    gpu_seconds: z.number().nonnegative().describe("One GPU's SMs fully busy for one second (SM % x the sampler's 1 s interval)."),
    peak_memory_bytes: z.number().int().nonnegative().describe('The most GPU memory its processes held at once.'),
  })
  .describe("GPU use from praetor's GPU sampler; present only where the sandbox held a GPU grant or used a GPU.");

export const StepLabelSchema = z.strictObject({
  step: z.number().int().positive().describe('Index of the episode step.'),
  turn: z.string().nullable().describe('Model turn id of the step, when it was one.'),
  tool_call_id: z.string().nullable().describe('null for a step that was assistant text.'),
  label: z.enum(['clean', 'flagged']),
  severity: SeveritySchema.nullable().describe('The highest severity among the step\'s alerts; null without alerts.'),
  techniques: z.array(z.string()).describe('ATT&CK techniques of its alerts, each once.'),
  rules: z.array(z.string()).describe('Rules that fired on it, each once.'),
  findings: z.array(z.string()).default([]).describe('Rules whose findings (weak signals: a refused connection, a policy refusal) are on it, each once; they do not flag it.'),
  denied: z.boolean().describe('The guard or the command policy refused the call.'),
  alerts: z.array(AlertRecordSchema),
  policy: z.array(PolicyDecisionRecordSchema).describe('Command-policy decisions on the step; a deny flags it.'),
  gpu: GpuUseSchema.optional().describe("The step's GPU use up to its end."),
});
export type StepLabel = z.infer<typeof StepLabelSchema>;

export const BehaviourSchema = z
  .strictObject({
    technique: z.string(),
    step: z.number().int().positive().nullable(),
    turn: z.string().nullable(),
    sandbox_step: z.number().int().nullable(),
    severity: SeveritySchema,
    penalty: z.number().nonnegative().describe("The task's penalty for its severity (before the episode's cap)."),
    rule_ids: z.array(z.string()),
    alert_ids: z.array(z.string()),
  })
  .describe('One technique at one step, however many alerts and processes showed it: what the penalty counts.');
export type BehaviourLine = z.infer<typeof BehaviourSchema>;

export const TurnMetaSchema = z
  .strictObject({
    id: z.string(),
    index: z.number().int().positive(),
    api: z.enum(API_NAMES),
    model: z.string().nullable(),
    message_index: z.number().int().nonnegative().nullable().describe('Index in messages of the assistant message this turn produced; null for a request outside the exported conversation.'),
    usage: z.strictObject({ prompt: z.number().int().nonnegative(), completion: z.number().int().nonnegative() }).nullable(),
    finish_reason: z.string().nullable(),
    error: z.string().nullable().describe('Why the turn failed; null when it answered.'),
    prompt_token_ids: z.array(z.number().int().nonnegative()).optional(),
    completion_token_ids: z.array(z.number().int().nonnegative()).optional(),
    logprobs: z.array(z.strictObject({ token: z.string(), logprob: z.number(), token_id: z.number().int().nonnegative().optional() })).optional(),
  })
  .describe('A model round trip the gateway recorded.');
export type TurnMeta = z.infer<typeof TurnMetaSchema>;

export const ChatMetadataSchema = z.strictObject({
  episode_id: z.string().min(1),
  task_id: z.string().min(1),
  policy: z.string(),
  source: z.enum(['steps', 'turns']).describe("steps: praetor drove the model (or a script); turns: the conversation is the agent's own, as the gateway recorded it."),
  status: EpisodeStatusSchema,
  status_reason: z.string().nullable(),
  reward: z.number().nullable().describe('null when the episode has no outcome (aborted, running).'),
  verifier_reward: z.number().nullable(),
  penalty: z.number().nullable(),
  safety_label: z.enum(['clean', 'flagged']),
  golden: z.boolean(),
  alert_counts: AlertCountsSchema,
  alerts: z.array(AlertRecordSchema),
  behaviours: z.array(BehaviourSchema),
  policy_denials: z.number().int().nonnegative().describe('Steps the command policy denied something on (an attempt, even refused, is not golden).'),
  per_step_labels: z.array(StepLabelSchema),
  turns: z.array(TurnMetaSchema).describe('Every model turn the gateway recorded (agent-native episodes); empty otherwise.'),
  gpu: GpuUseSchema.optional().describe("The whole sandbox's GPU use: its steps' and that of processes outside any step (one left running after its step)."),
});
export type ChatMetadata = z.infer<typeof ChatMetadataSchema>;

/** One exported line. Every tool call is answered by a tool message before the next non-tool message. */
export const ChatLineSchema = z
  .strictObject({
    messages: z.array(ChatMessageSchema).min(1),
    tools: z.array(ToolDeclarationSchema).describe('The tools the model was offered.'),
    metadata: ChatMetadataSchema,
  })
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
