// The episode model: a task, the steps an agent took on it and how it ended. These zod schemas are
// the single source of truth for task files, the store's rows and the export.
import { z } from 'zod';
import { SEVERITIES, type Alert } from '../detect/alert.js';
import { formatIssues } from '../core/schema-issues.js';
import { parseYamlDocument, yamlValue } from '../detect/yaml-document.js';
import { MAX_TIMEOUT_SECONDS, SandboxOptionsSchema } from '../sandbox/backend.js';
import { PolicyDecisionRecordSchema } from '../policy/policy-record.js';

const nonEmpty = z.string().min(1);
const epochMs = z.number().int().nonnegative().describe('Epoch milliseconds.');

export const SeveritySchema = z.enum(SEVERITIES);

export const SafetyPenaltiesSchema = z
  .strictObject({
    low: z.number().nonnegative().default(0),
    medium: z.number().nonnegative().default(0.25),
    high: z.number().nonnegative().default(0.5),
    critical: z.number().nonnegative().default(1.0),
    cap: z.number().nonnegative().default(1.0).describe('Most an episode loses however many alerts it raised.'),
  })
  .describe('Reward taken off per alert, by severity.');
export type SafetyPenalties = z.infer<typeof SafetyPenaltiesSchema>;

export const BudgetsSchema = z.strictObject({
  maxSteps: z.number().int().positive().default(30),
  maxTokens: z.number().int().positive().optional(),
  maxSeconds: z.number().positive().max(MAX_TIMEOUT_SECONDS, `at most ${MAX_TIMEOUT_SECONDS} (24.8 days: the longest timer Node holds)`).default(600),
});

export const TaskModelSchema = z.strictObject({
  name: nonEmpty.describe('The model the agent asks for; the gateway sends this name upstream whatever the agent names.'),
  baseUrl: z.url().describe('The upstream: OpenAI-compatible up to /v1 (http://127.0.0.1:8000/v1), or Anthropic-compatible without it.'),
  protocol: z.enum(['openai', 'anthropic']).default('openai').describe('openai serves chat completions and Responses (qwen-code, codex); anthropic serves Messages (claude-code).'),
  apiKeyEnv: nonEmpty.optional().describe("Host environment variable holding the upstream's key; the agent never sees it."),
});
export type TaskModel = z.infer<typeof TaskModelSchema>;

export const TaskSchema = z.strictObject({
  id: nonEmpty,
  instruction: nonEmpty.describe('What the agent is asked to do: the user prompt.'),
  workspace: nonEmpty.optional().describe('Host directory copied into the sandbox workspace.'),
  setup: z.array(nonEmpty).default([]).describe('Shell commands run in the sandbox before the agent starts.'),
  verifier: nonEmpty
    .optional()
    .describe('Shell command run after the agent: exit 0 passes (reward 1, else 0) unless its last line is reward=<float>.'),
  budgets: BudgetsSchema.prefault({}),
  // Kept as given: the sandbox backend owns these options and applies its own defaults when it runs.
  sandbox: z.record(z.string(), z.unknown()).default({}).describe('Sandbox options: allowDomains, cpus, memory, ...'),
  safetyPenalties: SafetyPenaltiesSchema.prefault({}),
  model: TaskModelSchema.optional().describe('The model an agent CLI run on this task uses (`episode run --agent NAME`), through the gateway.'),
});
export type Task = z.infer<typeof TaskSchema>;
export type TaskInput = z.input<typeof TaskSchema>;

export const ToolCallSchema = z.strictObject({
  id: nonEmpty,
  name: nonEmpty,
  arguments: z.record(z.string(), z.unknown()),
});
export type ToolCall = z.infer<typeof ToolCallSchema>;

export const ObservationSchema = z.strictObject({
  content: z.string(),
  isError: z.boolean(),
  denied: z.boolean().describe('The guard or the command policy refused the call; it did not run.'),
});
export type Observation = z.infer<typeof ObservationSchema>;

/** An alert as an episode keeps it: enough to find the rule, the step and the process, without the evidence. */
export const AlertRecordSchema = z.strictObject({
  id: nonEmpty,
  ruleId: nonEmpty,
  technique: nonEmpty,
  severity: SeveritySchema,
  step: z.number().int().positive().nullable().describe('Episode step the alert is tied to; null when raised outside any step (during the verifier, say).'),
  turn: z.string().nullable().describe('Model turn id of that step, when the step was a model turn.'),
  sandboxStep: z.number().int().nullable().describe('Sandbox exec step (the cgroup) the alert was raised in.'),
  pid: z.number().int().nullable(),
  time: epochMs,
  description: z.string(),
  finding: z
    .literal(true)
    .optional()
    .describe('A finding: a weak signal (a refused connection, a policy refusal) kept as a safety label on its step; it neither flags the episode nor costs reward.'),
});
export type AlertRecord = z.infer<typeof AlertRecordSchema>;

/** Where in the episode an alert belongs: the episode step (and its turn) that caused it. */
export interface AlertPlace {
  readonly step: number | null;
  readonly turn?: string | null;
}

export function toAlertRecord(alert: Alert, at: AlertPlace): AlertRecord {
  const { id, ruleId, technique, severity, step, pid, time, description } = alert;
  const record = { id, ruleId, technique, severity, step: at.step, turn: at.turn ?? null, sandboxStep: step, pid, time, description };
  return alert.finding === true ? { ...record, finding: true } : record;
}

export const GpuUseRecordSchema = z
  .strictObject({
    gpuSeconds: z.number().nonnegative().describe("GPU-seconds: one GPU's SMs fully busy for one second (the sampler's SM % x its interval); where utilisation is not reported (MIG), the seconds GPU memory was held."),
    peakMemoryBytes: z.number().int().nonnegative().describe('The most GPU memory its processes held at once (summed over its processes within one sampler interval).'),
  })
  .describe('GPU use from the guard\'s GPU sampler (1 s), attributed by process to sandbox and step.');
export type GpuUseRecord = z.infer<typeof GpuUseRecordSchema>;

export const StepRecordSchema = z
  .strictObject({
    episodeId: nonEmpty,
    index: z.number().int().positive().describe('1-based, contiguous within an episode.'),
    turn: nonEmpty.optional().describe('Model turn id: steps of one turn were one model response.'),
    action: ToolCallSchema.optional(),
    message: z.string().optional().describe('Assistant text with no tool call.'),
    observation: ObservationSchema.nullable().describe('What the tool call returned; null for a message.'),
    startedAt: epochMs,
    endedAt: epochMs,
    sandboxSteps: z.array(z.number().int().nonnegative()).default([]).describe('Sandbox exec steps the call ran as.'),
    resources: z.strictObject({ cpuSeconds: z.number().nonnegative().optional(), memoryBytes: z.number().nonnegative().optional() }).optional(),
    gpu: GpuUseRecordSchema.optional().describe('GPU use of the sandbox exec steps of this call up to its end; present where the sandbox holds a GPU grant or used a GPU.'),
    alerts: z.array(AlertRecordSchema).default([]),
    policy: z.array(PolicyDecisionRecordSchema).default([]).describe('Command-policy decisions on the sandbox steps of this call.'),
    tokens: z.strictObject({ prompt: z.number().int().nonnegative(), completion: z.number().int().nonnegative() }).optional(),
    modelRequestId: nonEmpty.optional(),
    modelResponseId: nonEmpty.optional(),
  })
  .superRefine((s, ctx) => {
    if ((s.action === undefined) === (s.message === undefined)) {
      ctx.addIssue({ code: 'custom', path: ['action'], message: 'a step has exactly one of action or message' });
    }
    if (s.action !== undefined && s.observation === null) {
      ctx.addIssue({ code: 'custom', path: ['observation'], message: 'a tool call step needs its observation' });
    }
    if (s.endedAt < s.startedAt) ctx.addIssue({ code: 'custom', path: ['endedAt'], message: 'ends before it starts' });
  });
export type StepRecord = z.infer<typeof StepRecordSchema>;
export type StepRecordInput = z.input<typeof StepRecordSchema>;

export const EPISODE_STATUSES = ['running', 'completed', 'failed', 'aborted', 'terminated'] as const;
export const EpisodeStatusSchema = z.enum(EPISODE_STATUSES).describe('terminated: stopped by the guard; aborted: praetor died.');
export type EpisodeStatus = z.infer<typeof EpisodeStatusSchema>;
export type FinalStatus = Exclude<EpisodeStatus, 'running'>;

export const AlertCountsSchema = z.strictObject({
  low: z.number().int().nonnegative(),
  medium: z.number().int().nonnegative(),
  high: z.number().int().nonnegative(),
  critical: z.number().int().nonnegative(),
});
export type AlertCounts = z.infer<typeof AlertCountsSchema>;

export const OutcomeSchema = z.strictObject({
  verifierReward: z.number().nullable().describe('null when the task has no verifier or it never ran.'),
  verifierOutput: z.string().nullable(),
  safetyLabel: z.enum(['clean', 'flagged']),
  alertCounts: AlertCountsSchema,
  penalty: z.number().nonnegative(),
  reward: z.number().describe('verifierReward (0 when null) minus penalty; not floored.'),
});
export type Outcome = z.infer<typeof OutcomeSchema>;

export const PromptMessageSchema = z.strictObject({ role: z.enum(['system', 'user']), content: z.string() });
export type PromptMessage = z.infer<typeof PromptMessageSchema>;

/** A tool as the model was offered it: an OpenAI function declaration. */
export const ToolDeclarationSchema = z.strictObject({
  type: z.literal('function'),
  function: z.looseObject({ name: nonEmpty, description: z.string().optional(), parameters: z.record(z.string(), z.unknown()).optional() }),
});
export type ToolDeclarationRecord = z.infer<typeof ToolDeclarationSchema>;

export const EpisodeRecordSchema = z.strictObject({
  id: nonEmpty,
  taskId: nonEmpty,
  task: TaskSchema,
  sandboxId: nonEmpty,
  policy: nonEmpty.describe("Who acted: 'scripted:file', 'llm:model', ..."),
  status: EpisodeStatusSchema,
  statusReason: z.string().optional().describe('Why it ended so: the abort reason, the guard action.'),
  startedAt: epochMs,
  endedAt: epochMs.nullable(),
  outcome: OutcomeSchema.nullable(),
  messages: z.array(PromptMessageSchema).optional().describe('The system and user prompt the agent was given.'),
  tools: z.array(ToolDeclarationSchema).optional().describe('The tools the agent was offered, when praetor gave them (agent-native agents offer their own: see the turns).'),
  gpu: GpuUseRecordSchema.optional().describe(
    "GPU use of the whole sandbox until the episode ended: its steps' and that of processes outside any step (one left running after its step is charged here, not to the stored step).",
  ),
});
export type EpisodeRecord = z.infer<typeof EpisodeRecordSchema>;
export type EpisodeRecordInput = z.input<typeof EpisodeRecordSchema>;

/** Parses and validates a task file. Never throws; errors read `source: path: message`. */
export function loadTask(text: string, source: string): { task: Task } | { errors: string[] } {
  const doc = parseYamlDocument(text);
  if (doc.errors.length > 0) return { errors: doc.errors.map((e) => `${source}: ${e.message.split('\n')[0] ?? e.message}`) };
  const plain = yamlValue(doc);
  if (!plain.ok) return { errors: [`${source}: ${plain.error}`] };
  const parsed = TaskSchema.safeParse(plain.value);
  if (!parsed.success) return { errors: formatIssues(parsed.error.issues).map((m) => `${source}: ${m}`) };
  // Checked now so a bad option fails the task file, not the hundredth rollout; stored as written.
  const sandbox = SandboxOptionsSchema.strict().safeParse(parsed.data.sandbox);
  if (!sandbox.success) return { errors: formatIssues(sandbox.error.issues, ['sandbox']).map((m) => `${source}: ${m}`) };
  return { task: parsed.data };
}
