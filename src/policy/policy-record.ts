// A policy decision as it is recorded on the step it was about, stored with the episode and
// exported with its safety labels. The zod schema is the single source of truth.
import { z } from 'zod';
import { DecisionSchema, TierSchema } from './policy-schema.js';

export const POLICY_SOURCES = ['exec', 'write-file', 'read-file', 'network', 'process'] as const;

export const PolicyDecisionRecordSchema = z.strictObject({
  time: z.number().int().nonnegative(),
  sandboxId: z.string().min(1),
  step: z.number().int().nullable().describe('Sandbox exec step the decision was about.'),
  source: z.enum(POLICY_SOURCES).describe('process: a program started inside a step, seen by the process monitor.'),
  target: z.string().describe('The command line, path, host:port or argv decided on.'),
  decision: DecisionSchema.describe('What the policy said.'),
  final: z.enum(['allow', 'deny']).describe('What happened: an ask ends allowed or denied.'),
  ruleId: z.string().nullable(),
  tier: TierSchema.nullable(),
  technique: z.string().nullable(),
  reason: z.string(),
  approval: z
    .strictObject({ by: z.string(), decision: z.enum(['allow', 'deny']), waitedMs: z.number().nonnegative() })
    .nullable()
    .describe('The answer to an ask; null when none came (timeout, no approver) or none was needed.'),
  pid: z.number().int().nullable().describe('For process decisions: the process, killed when denied.'),
});
export type PolicyDecisionRecord = z.infer<typeof PolicyDecisionRecordSchema>;
