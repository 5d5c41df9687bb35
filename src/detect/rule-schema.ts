// The rule file format as zod schemas: the single source of truth for what a rule may say, its
// types (z.infer) and its field documentation (.describe); rule-compiler turns a rule into code.
import { z } from 'zod';
import type { GuardEventKind } from '../monitor/events.js';
import { SEVERITIES, type Severity } from './alert.js';
import { EVENT_KINDS, type EventView, type FieldReader } from './event-fields.js';

const KEBAB = /^[a-z0-9]+(?:-[a-z0-9]+)*$/;
export const TACTICS = [
  'reconnaissance', 'resource-development', 'initial-access', 'execution', 'persistence', 'privilege-escalation',
  'defense-evasion', 'credential-access', 'discovery', 'lateral-movement', 'collection', 'command-and-control',
  'exfiltration', 'impact',
] as const;
/** Group of an alert when a rule names none: one per sandbox, step and process. */
export const DEFAULT_GROUP_BY = ['sandboxId', 'step', 'pid'] as const;
export const DEFAULT_DEDUPE_SECONDS = 60;

const FieldPath = z
  .string()
  .regex(/^[A-Za-z][A-Za-z0-9]*(?:\.[A-Za-z0-9]+)*$/, 'a field is a dotted path such as dstPort, argv.0 or argvText')
  .describe('Event field: a raw field (dstPort, host, exe, argv), an index (argv.1), or derived: argvText, exeName, argv0Name.');
const FieldRef = z
  .union([FieldPath, z.array(FieldPath).min(1)], { error: 'expected a field path or a list of them' })
  .describe('One field, or several: the test holds when it holds on any of them.');
const Scalar = z.union([z.string(), z.number(), z.boolean(), z.null()], { error: 'expected a string, number, boolean or null' });
const Texts = z.union([z.string(), z.array(z.string()).min(1)], { error: 'expected a string or a list of strings' });
const ListName = z.string().regex(KEBAB, 'list names are kebab-case').describe('Name of a list in the file\'s lists section.');
const IgnoreCase = z.boolean().optional().describe('Compare strings case-insensitively.');
const oneSource = (t: { value?: unknown; list?: unknown }) => (t.value === undefined) !== (t.list === undefined);
const ONE_SOURCE = { message: 'give exactly one of value or list', path: ['value'] };

const EqualsTest = z.strictObject({ field: FieldRef, op: z.literal('equals'), value: Scalar, ignoreCase: IgnoreCase });
const InTest = z
  .strictObject({
    field: FieldRef,
    op: z.literal('in'),
    value: z.array(Scalar).min(1).optional().describe('Inline values.'),
    list: ListName.optional(),
    ignoreCase: IgnoreCase,
  })
  .refine(oneSource, ONE_SOURCE);
const TextTest = z
  .strictObject({
    field: FieldRef,
    op: z.enum(['contains', 'startsWith', 'endsWith', 'inDomain']),
    value: Texts.optional().describe('One string, or several: any of them.'),
    list: ListName.optional(),
    ignoreCase: IgnoreCase.describe('Compare case-insensitively (inDomain always does).'),
  })
  .refine(oneSource, ONE_SOURCE);
const RegexTest = z.strictObject({
  field: FieldRef,
  op: z.literal('regex'),
  value: z.string().min(1).describe('RE2 regular expression (linear time: no lookaround or backreference), compiled once at load.'),
  flags: z
    .string()
    .regex(/^[imsu]*$/, 'flags may only be i, m, s, u (g and y make matching stateful)')
    .optional(),
  unless: z
    .string()
    .min(1)
    .optional()
    .describe('RE2 regular expression: a match of value whose matched text also matches this does not count.'),
});
const NumberTest = z.strictObject({ field: FieldRef, op: z.enum(['gt', 'gte', 'lt', 'lte']), value: z.number() });
const ExistsTest = z.strictObject({
  field: FieldRef,
  op: z.literal('exists'),
  value: z.boolean().default(true).describe('true: some field has a non-null value; false: none has.'),
});

export const OPS = ['equals', 'in', 'contains', 'startsWith', 'endsWith', 'inDomain', 'regex', 'gt', 'gte', 'lt', 'lte', 'exists'] as const;
/** unionFallback: a node that is not a field test reports its unknown keys, which tells the error formatter which form was meant. */
export const FieldTestSchema = z.discriminatedUnion('op', [EqualsTest, InTest, TextTest, RegexTest, NumberTest, ExistsTest], {
  unionFallback: true,
  error: `op must be one of: ${OPS.join(', ')}`,
});
export type FieldTest = z.infer<typeof FieldTestSchema>;

export type Condition = { all: Condition[] } | { any: Condition[] } | { not: Condition } | FieldTest;
// Recursive, so the type is written out once above; every leaf is still z.infer of FieldTestSchema.
export const ConditionSchema: z.ZodType<Condition> = z.lazy(() =>
  z.union(
    [
      z.strictObject({ all: z.array(ConditionSchema).min(1).describe('Every condition holds.') }),
      z.strictObject({ any: z.array(ConditionSchema).min(1).describe('At least one condition holds.') }),
      z.strictObject({ not: ConditionSchema.describe('The condition does not hold.') }),
      FieldTestSchema,
    ],
    { error: 'a condition is one of {all: [...]}, {any: [...]}, {not: {...}} or {field, op, value}' },
  ),
);

const Seconds = z.number().positive().max(86_400);
const GroupBy = z.array(FieldPath).min(1);

export const MatchSchema = z.strictObject({
  event: z
    .union([z.enum(EVENT_KINDS), z.array(z.enum(EVENT_KINDS)).min(1)], { error: `expected one of ${EVENT_KINDS.join(', ')}, or a list of them` })
    .describe('Event kind(s) the rule looks at.'),
  where: ConditionSchema.optional().describe('Condition on the event; absent: every event of those kinds matches.'),
});

export const WindowSchema = z
  .strictObject({
    seconds: Seconds.describe('Length of the sliding window, by event time.'),
    groupBy: GroupBy.default(['sandboxId']).describe('Fields whose values make one group (one window each).'),
    threshold: z
      .strictObject({
        count: z.int().min(1).max(10_000).optional().describe('At least this many matching events in the window.'),
        distinct: z
          .strictObject({ field: FieldPath, atLeast: z.int().min(2).max(10_000) })
          .optional()
          .describe('At least this many distinct values of a field in the window (null values do not count).'),
      })
      .refine((t) => t.count !== undefined || t.distinct !== undefined, 'give count, distinct or both'),
  })
  .describe('Aggregate rule: fires when matching events of one group reach the threshold within the window.');

export const SustainedSchema = z
  .strictObject({
    seconds: Seconds.describe('How long the condition must keep holding.'),
    groupBy: GroupBy.optional().describe(`Fields that make one group; default ${DEFAULT_GROUP_BY.join(', ')}.`),
  })
  .describe('Fires when every event of the group has matched for this long; one that does not match restarts the clock.');

export const DedupeSchema = z
  .strictObject({
    seconds: z.number().min(0).max(86_400).default(DEFAULT_DEDUPE_SECONDS).describe('Quiet time after an alert; 0 raises every time.'),
    groupBy: GroupBy.optional().describe('Fields that make one alert group; default the window or sustained group, else sandboxId, step, pid.'),
  })
  .describe('Suppresses repeats of the same alert in the same group.');

export const SEQUENCE_SCOPES = ['sandbox', 'step', 'process'] as const;
export type SequenceScope = (typeof SEQUENCE_SCOPES)[number];

export const AfterSchema = z
  .strictObject({
    rules: z.array(z.string().regex(KEBAB, 'ids are kebab-case')).min(1).describe('Ids of the rules (findings or alerts) one of which must have been raised first.'),
    seconds: Seconds.describe('How long before this event the earlier one may have been raised.'),
    same: z
      .enum(SEQUENCE_SCOPES)
      .default('sandbox')
      .describe('What the earlier one must share with this event: the sandbox (an episode), the step, or the process.'),
  })
  .describe('Sequence: the rule fires only when one of these rules was raised earlier in the same sandbox, step or process within the time.');

export const RuleSchema = z
  .strictObject({
    id: z.string().regex(KEBAB, 'ids are kebab-case').describe('Unique id, kebab-case.'),
    title: z.string().min(1).describe('One line for people.'),
    technique: z.string().regex(/^T\d{4}(?:\.\d{3})?$/, 'a MITRE ATT&CK technique such as T1496 or T1053.003').describe('MITRE ATT&CK technique.'),
    tactic: z.enum(TACTICS).optional().describe('MITRE ATT&CK tactic, kebab-case.'),
    severity: z.enum(SEVERITIES),
    description: z.string().min(1).describe('What the rule catches and why it matters.'),
    match: MatchSchema,
    window: WindowSchema.optional(),
    sustained: SustainedSchema.optional(),
    dedupe: DedupeSchema.optional(),
    finding: z
      .boolean()
      .optional()
      .describe('Raise a finding (a weak signal kept with its step, never enforced, not a false alert) instead of an alert.'),
    after: AfterSchema.optional(),
    techniqueFrom: FieldPath.optional().describe('An event field whose value, when it is a technique (T1234 or T1234.567), replaces technique.'),
  })
  .refine((r) => r.window === undefined || r.sustained === undefined, { message: 'a rule has a window or is sustained, not both', path: ['sustained'] });
export type Rule = z.infer<typeof RuleSchema>;

export const RuleFileSchema = z.strictObject({
  lists: z
    .record(ListName, z.array(Scalar).min(1))
    .optional()
    .describe('Named lists (binary names, domains, ports) that tests reference with list: NAME.'),
  rules: z.array(RuleSchema).describe('The rules of this file.'),
});
export type RuleFile = z.infer<typeof RuleFileSchema>;

export type GroupKey = (view: EventView) => string;

/** A rule ready to run: its condition compiled to a predicate and its fields to readers. */
export interface CompiledRule {
  readonly id: string;
  readonly title: string;
  readonly technique: string;
  readonly tactic: string | null;
  readonly severity: Severity;
  readonly description: string;
  /** Where it was defined: the file (as given to the loader) and its index in rules. */
  readonly source: string;
  readonly index: number;
  readonly events: readonly GuardEventKind[];
  readonly matches: (view: EventView) => boolean;
  readonly window: {
    readonly ms: number;
    readonly key: GroupKey;
    readonly count: number | null;
    readonly distinct: { readonly field: string; readonly read: FieldReader; readonly atLeast: number } | null;
  } | null;
  readonly sustained: { readonly ms: number; readonly key: GroupKey } | null;
  readonly dedupe: { readonly ms: number; readonly key: GroupKey };
  /** Reads the event's own technique (policy verdicts carry one), or null. */
  readonly techniqueFrom: FieldReader | null;
  /** Raises findings, not alerts. */
  readonly finding: boolean;
  /** Sequence: an earlier raise of one of these rules in the same scope within ms. */
  readonly after: { readonly rules: readonly string[]; readonly ms: number; readonly same: SequenceScope } | null;
  /** The rule as written (validated), for docs and tools. */
  readonly definition: Rule;
  /** Compiles the regexes left to compile on first use (rule-compiler's lazyRegex), if any. */
  readonly warm?: () => void;
}
