// The command policy file format (YAML), as zod schemas: the single source of truth for policy
// files, `praetor policy check` and docs/policy.md.
import { z } from 'zod';

export const DECISIONS = ['allow', 'ask', 'deny'] as const;
export const DecisionSchema = z.enum(DECISIONS);
export type Decision = z.infer<typeof DecisionSchema>;

/** allow < ask < deny. */
export function stricter(a: Decision, b: Decision): Decision {
  return DECISIONS.indexOf(a) >= DECISIONS.indexOf(b) ? a : b;
}

export const TIERS = ['admin', 'project', 'task'] as const;
export const TierSchema = z.enum(TIERS).describe('admin > project > task: a higher tier decides first; a lower one can not undo its deny.');
export type Tier = z.infer<typeof TierSchema>;

const nonEmpty = z.string().min(1);

export const MatcherSchema = z
  .union([
    nonEmpty.describe('Exactly this text.'),
    z.strictObject({ glob: nonEmpty }).describe('A glob: * and ? within a path segment, ** across segments.'),
    z.strictObject({ re: nonEmpty }).describe('An RE2 regular expression (no backreferences or lookaround), unanchored unless you anchor it.'),
    z.strictObject({ prefix: nonEmpty }).describe('Text that starts with this.'),
  ])
  .describe('A string matches exactly; {glob}, {re} and {prefix} match patterns.');
export type Matcher = z.infer<typeof MatcherSchema>;

export const MatchersSchema = z.union([MatcherSchema, z.array(MatcherSchema).min(1)]).describe('One matcher, or a list of which any may match.');
export type Matchers = z.infer<typeof MatchersSchema>;

const flag = z.string().regex(/^--?[A-Za-z0-9?][A-Za-z0-9_-]*$/, 'a flag is -x or --long-name');

export const ArgsMatchSchema = z
  .strictObject({
    prefix: z.array(MatchersSchema).min(1).optional().describe('The arguments start with these, in order (as Codex prefix rules).'),
    exact: z.array(MatchersSchema).optional().describe('The arguments are exactly these.'),
    any: MatchersSchema.optional().describe('Some argument matches.'),
    flags: z.array(flag).min(1).optional().describe('Some of these flags is given, anywhere and in any order (-abc holds -b).'),
  })
  .refine((a) => Object.values(a).some((v) => v !== undefined), 'give at least one of prefix, exact, any, flags');

export const CommandMatchSchema = z
  .strictObject({
    program: MatchersSchema.optional().describe('The program: a name without "/" matches the basename, one with "/" the path as written.'),
    args: ArgsMatchSchema.optional(),
    redirect: MatchersSchema.optional().describe('Some redirection (>, >>, <, <>) names a file that matches.'),
    stdinFrom: MatchersSchema.optional().describe('Its stdin is a pipe from one of these programs.'),
  })
  .refine((c) => Object.values(c).some((v) => v !== undefined), 'give at least one of program, args, redirect, stdinFrom');
export type CommandMatch = z.infer<typeof CommandMatchSchema>;

export const NetworkMatchSchema = z.strictObject({
  host: MatchersSchema.describe('Host name or address (glob: *.pool.example).'),
  ports: z.array(z.number().int().min(1).max(65535)).min(1).optional(),
});

export const ExamplesSchema = z.strictObject({
  match: z.array(nonEmpty).default([]).describe('Each must match the rule (a command line; a path for file rules; host:port or a URL for network rules).'),
  notMatch: z.array(nonEmpty).default([]).describe('None may match the rule.'),
});

const RULE_KINDS = ['command', 'write', 'read', 'network'] as const;

export const PolicyRuleSchema = z
  .strictObject({
    id: z.string().regex(/^[a-z0-9][a-z0-9._-]*$/, 'lowercase letters, digits, dots, dashes'),
    decision: DecisionSchema,
    reason: nonEmpty.describe('Shown to the agent (as the tool result) and recorded on the step.'),
    technique: z
      .string()
      .regex(/^T\d{4}(\.\d{3})?$/, 'an ATT&CK technique id such as T1496 or T1552.004')
      .optional()
      .describe('The ATT&CK technique the rule guards.'),
    command: CommandMatchSchema.optional().describe('Matches each simple command of a command line (bash tool, exec, processes).'),
    write: MatchersSchema.optional().describe('Matches paths written: write_file, > and >> redirections, tee.'),
    read: MatchersSchema.optional().describe('Matches paths read: read_file, < redirections, and any argument naming one.'),
    network: NetworkMatchSchema.optional().describe('Matches egress through the proxy and URLs given as arguments.'),
    examples: ExamplesSchema.optional().describe('Checked when the policy loads; a policy whose examples fail does not load.'),
  })
  .superRefine((r, ctx) => {
    const kinds = RULE_KINDS.filter((k) => r[k] !== undefined);
    if (kinds.length !== 1) ctx.addIssue({ code: 'custom', message: `a rule has exactly one of ${RULE_KINDS.join(', ')} (this one has ${kinds.join(', ') || 'none'})` });
  });
export type PolicyRule = z.infer<typeof PolicyRuleSchema>;

export const PolicyFileSchema = z.strictObject({
  name: nonEmpty,
  description: z.string().optional(),
  extends: z.array(nonEmpty).default([]).describe('Presets (default, strict, permissive) or files whose rules come first.'),
  mode: z
    .enum(['ask', 'strict'])
    .optional()
    .describe('What a command praetor can not resolve gets: ask (a person decides) or strict (deny). Default ask.'),
  default: DecisionSchema.optional().describe('Decision when no rule matches (default allow).'),
  unknown: DecisionSchema.optional().describe('Decision for what praetor can not resolve, in ask mode (default ask; strict mode always denies).'),
  rules: z.array(z.unknown()).default([]),
});
export type PolicyFile = z.infer<typeof PolicyFileSchema>;
