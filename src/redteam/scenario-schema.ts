// A red-team scenario as data: a task, the scripted tool calls an agent makes on it, and what the
// guard must make of each call (which technique at which step, what it must stop). The files live
// in redteam/scenarios/<suite>/*.yaml; this schema is their single source of truth.
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { ScriptStepSchema, type ScriptStep } from '../agent/policies/scripted-policy.js';
import type { ToolRegistry } from '../agent/tools/tool-registry.js';
import { formatIssues } from '../core/schema-issues.js';
import { compileRuleRegex } from '../detect/rule-regex.js';
import { parseYamlDocument, yamlValue } from '../detect/yaml-document.js';
import { BudgetsSchema, SafetyPenaltiesSchema, type Task } from '../episode/episode-model.js';
import { GuardPolicySchema } from '../guard/guard-policy.js';
import { SandboxOptionsSchema } from '../sandbox/backend.js';
import { errorMessage } from '../core/errors.js';
import type { SuiteName } from './redteam-result.js';

export const SUITES = ['rome', 'adversarial', 'benign'] as const satisfies readonly SuiteName[];

/**
 * Signals a scenario may need beyond this build (issue 15's other half): socket-aware process
 * signals, bait credentials read from the kernel, findings with sequence rules, the sustained-CPU
 * finding. Remove a need from the scenario files once its signal is merged.
 */
export const NEEDS = ['socket-signal', 'bait-credentials', 'findings', 'cpu-finding'] as const;

const technique = z.string().regex(/^T\d{4}(\.\d{3})?$/, 'an ATT&CK technique id such as T1496 or T1053.003');

export const StepExpectationSchema = z.strictObject({
  technique: technique.describe('The guard must raise this technique (or one of its sub-techniques) at this step.'),
  blocked: z.boolean().default(false).describe('The guard must also act on it (deny, kill, freeze or terminate).'),
});

export const ScenarioStepSchema = ScriptStepSchema.extend({
  expect: StepExpectationSchema.optional(),
  mayAlert: z.boolean().default(false).describe('Alerts at this step are neither required nor counted as false alerts.'),
  note: z.string().optional().describe('What the agent is doing, for the report.'),
  output: z
    .string()
    .optional()
    .superRefine((v, ctx) => {
      if (v === undefined) return;
      const compiled = compileRuleRegex(v, 'm');
      if ('error' in compiled) ctx.addIssue({ code: 'custom', message: `not a regular expression: ${compiled.error}` });
    })
    .describe('An RE2 regular expression (multiline) the observation must match: proof the step did (or failed to do) what it should.'),
});
export type ScenarioStep = z.output<typeof ScenarioStepSchema>;

export const ScenarioSchema = z
  .strictObject({
    id: z.string().regex(/^[a-z0-9][a-z0-9-]*$/, 'lower-case letters, digits and dashes'),
    suite: z.enum(SUITES),
    title: z.string().min(1),
    description: z.string().min(1),
    task: z.strictObject({
      instruction: z.string().min(1),
      setup: z.array(z.string().min(1)).default([]),
      verifier: z.string().min(1).optional(),
      allowDomains: z.array(z.string()).default([]),
      budgets: BudgetsSchema.prefault({}),
      sandbox: z.record(z.string(), z.unknown()).default({}).describe('More sandbox options (cpus, memory, pids).'),
    }),
    family: z
      .string()
      .regex(/^[a-z][a-z0-9-]*$/)
      .optional()
      .describe('Behaviour family (adversarial) or kind of work (benign) for the figures; the id\'s first word when absent.'),
    needs: z
      .array(z.enum(NEEDS))
      .default([])
      .describe('Signals this scenario relies on that a build may lack: it runs and is reported apart, never counted as passing.'),
    guard: GuardPolicySchema.prefault({}),
    /** Fault the runner injects: the guard stops answering for the sandbox before this step (the proxy must fail closed). */
    guardDiesBeforeStep: z.number().int().positive().optional(),
    steps: z.array(ScenarioStepSchema).min(1),
  })
  .superRefine((s, ctx) => {
    const expected = s.steps.filter((step) => step.expect !== undefined).length;
    if (s.suite === 'benign' && expected > 0) {
      ctx.addIssue({ code: 'custom', path: ['steps'], message: 'a benign scenario expects no detection' });
    }
    if (s.suite === 'benign' && s.steps.some((step) => step.mayAlert)) {
      ctx.addIssue({ code: 'custom', path: ['steps'], message: 'a benign scenario may not excuse alerts (mayAlert): every alert of it is false' });
    }
    if (s.suite !== 'benign' && expected === 0) {
      ctx.addIssue({ code: 'custom', path: ['steps'], message: 'an adversarial scenario expects at least one detection' });
    }
    if (s.guardDiesBeforeStep !== undefined && s.guardDiesBeforeStep > s.steps.length) {
      ctx.addIssue({ code: 'custom', path: ['guardDiesBeforeStep'], message: `there are only ${s.steps.length} steps` });
    }
    const sandbox = SandboxOptionsSchema.strict().safeParse({ ...s.task.sandbox, allowDomains: s.task.allowDomains });
    if (!sandbox.success) {
      for (const issue of sandbox.error.issues) ctx.addIssue({ code: 'custom', path: ['task', 'sandbox', ...issue.path], message: issue.message });
    }
  });
export type Scenario = z.output<typeof ScenarioSchema>;

/** Names the fake world gives its hosts and paths, substituted into scenario text as {{NAME}}. */
export type ScenarioVariables = Readonly<Record<string, string>>;

/** Replaces every {{NAME}}; an unknown name is an error, not an empty string. */
export function substitute(text: string, variables: ScenarioVariables): { text: string; unknown: string[] } {
  const unknown = new Set<string>();
  const out = text.replace(/\{\{\s*([A-Z][A-Z0-9_]*)\s*\}\}/g, (whole, name: string) => {
    const value = variables[name];
    if (value === undefined) {
      unknown.add(name);
      return whole;
    }
    return value;
  });
  return { text: out, unknown: [...unknown] };
}

export type LoadResult = { scenario: Scenario } | { errors: string[] };

/** Parses one scenario file. Never throws; each error reads `source: path: message`. */
export function loadScenario(text: string, source: string, variables: ScenarioVariables, registry?: ToolRegistry): LoadResult {
  const filled = substitute(text, variables);
  if (filled.unknown.length > 0) return { errors: filled.unknown.map((name) => `${source}: unknown variable {{${name}}}`) };
  const doc = parseYamlDocument(filled.text);
  // The first YAML error is the one to fix; the rest usually follow from it.
  const first = doc.errors[0];
  if (first !== undefined) return { errors: [`${source}: ${first.message.split('\n')[0] ?? first.message}`] };
  const plain = yamlValue(doc);
  if (!plain.ok) return { errors: [`${source}: ${plain.error}`] };
  const parsed = ScenarioSchema.safeParse(plain.value);
  if (!parsed.success) return { errors: formatIssues(parsed.error.issues).map((m) => `${source}: ${m}`) };
  const errors: string[] = [];
  if (registry !== undefined) {
    parsed.data.steps.forEach((step, i) => {
      const built = registry.build({ name: step.tool, arguments: step.args });
      if (!built.ok) errors.push(`${source}: steps.${i}: ${built.error}`);
    });
  }
  return errors.length > 0 ? { errors } : { scenario: parsed.data };
}

/** Loads every *.yaml under dir/<suite>/, sorted by suite then file name; ids must be unique. */
export async function loadScenarioDir(
  dir: string,
  variables: ScenarioVariables,
  registry?: ToolRegistry,
): Promise<{ scenarios: Scenario[]; errors: string[] }> {
  const scenarios: Scenario[] = [];
  const errors: string[] = [];
  for (const suite of SUITES) {
    let names: string[];
    try {
      names = (await readdir(join(dir, suite))).filter((n) => /\.ya?ml$/.test(n)).sort();
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') continue;
      errors.push(`${join(dir, suite)}: ${errorMessage(err)}`);
      continue;
    }
    for (const name of names) {
      const path = join(dir, suite, name);
      const loaded = loadScenario(await readFile(path, 'utf8'), path, variables, registry);
      if ('errors' in loaded) {
        errors.push(...loaded.errors);
        continue;
      }
      if (loaded.scenario.suite !== suite) errors.push(`${path}: suite is "${loaded.scenario.suite}" but the file is under ${suite}/`);
      else scenarios.push(loaded.scenario);
    }
  }
  const seen = new Set<string>();
  for (const s of scenarios) {
    if (seen.has(s.id)) errors.push(`scenario id "${s.id}" is used twice`);
    seen.add(s.id);
  }
  return { scenarios, errors };
}

/** The episode task a scenario runs as. */
export function scenarioTask(s: Scenario): Task {
  return {
    id: `redteam:${s.id}`,
    instruction: s.task.instruction,
    setup: s.task.setup,
    ...(s.task.verifier !== undefined ? { verifier: s.task.verifier } : {}),
    budgets: s.task.budgets,
    sandbox: { ...s.task.sandbox, ...(s.task.allowDomains.length > 0 ? { allowDomains: s.task.allowDomains } : {}) },
    safetyPenalties: SafetyPenaltiesSchema.parse({}),
  };
}

/** The scripted calls, without the expectations the agent must not see. */
export function scenarioScript(s: Scenario): ScriptStep[] {
  return s.steps.map(({ tool, args, id }) => ({ tool, args, ...(id !== undefined ? { id } : {}) }));
}
