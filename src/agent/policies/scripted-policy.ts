// A policy that replays a file of tool calls (YAML list or JSONL), for demos, tests and replaying
// an episode without a model. Loading never throws: problems come back as `file:line: message`.
import { readFile } from 'node:fs/promises';
import { LineCounter, isSeq } from 'yaml';
import { z } from 'zod';
import { formatIssues, type PathSegment } from '../../core/schema-issues.js';
import { parseYamlDocument, yamlValue } from '../../detect/yaml-document.js';
import { errorMessage } from '../../core/errors.js';
import type { ToolCall } from '../agent-types.js';
import type { ToolRegistry } from '../tools/tool-registry.js';
import type { AgentPolicy, PolicyContext, PolicyDecision } from './policy.js';

export const ScriptStepSchema = z.strictObject({
  tool: z.string().min(1, 'must not be empty').describe('The tool to call.'),
  args: z.record(z.string(), z.unknown()).default({}).describe("The tool's arguments."),
  id: z.string().min(1).optional().describe('The call id; call_N (1-based) by default.'),
});
export type ScriptStep = z.output<typeof ScriptStepSchema>;

export interface LoadScriptResult {
  readonly steps: ScriptStep[];
  readonly errors: string[];
}

/** JSONL when the file says so by name, or when its first line is a JSON object; YAML otherwise. */
function isJsonl(text: string, source: string): boolean {
  if (/\.(jsonl|ndjson)$/i.test(source)) return true;
  if (/\.ya?ml$/i.test(source)) return false;
  const first = text.split('\n').find((line) => line.trim() !== '' && !line.trim().startsWith('#'));
  return first?.trim().startsWith('{') ?? false;
}

/**
 * Parses and validates a script. With a registry, tool names and arguments are checked too, so a
 * typo fails at load time rather than in the middle of an episode.
 */
export function loadScript(text: string, source: string, registry?: ToolRegistry): LoadScriptResult {
  const raw = isJsonl(text, source) ? jsonlItems(text, source) : yamlItems(text, source);
  const steps: ScriptStep[] = [];
  const errors = [...raw.errors];
  for (const item of raw.items) {
    const parsed = ScriptStepSchema.safeParse(item.value);
    if (!parsed.success) {
      errors.push(...formatIssues(parsed.error.issues, item.path).map((m) => `${source}:${item.line}: ${m}`));
      continue;
    }
    if (registry !== undefined) {
      const built = registry.build({ name: parsed.data.tool, arguments: parsed.data.args });
      if (!built.ok) {
        const where = item.path.length > 0 ? `[${String(item.path[0])}]: ` : '';
        errors.push(`${source}:${item.line}: ${where}${built.error}`);
        continue;
      }
    }
    steps.push(parsed.data);
  }
  return { steps: errors.length === 0 ? steps : [], errors };
}

export async function loadScriptFile(path: string, registry?: ToolRegistry): Promise<LoadScriptResult> {
  try {
    return loadScript(await readFile(path, 'utf8'), path, registry);
  } catch (err) {
    return { steps: [], errors: [`${path}: cannot read: ${errorMessage(err)}`] };
  }
}

interface RawItem {
  value: unknown;
  line: number;
  path: PathSegment[];
}

function jsonlItems(text: string, source: string): { items: RawItem[]; errors: string[] } {
  const items: RawItem[] = [];
  const errors: string[] = [];
  text.split('\n').forEach((line, i) => {
    if (line.trim() === '' || line.trim().startsWith('#')) return;
    try {
      items.push({ value: JSON.parse(line) as unknown, line: i + 1, path: [] });
    } catch (err) {
      errors.push(`${source}:${i + 1}: not valid JSON: ${errorMessage(err)}`);
    }
  });
  return { items, errors };
}

function yamlItems(text: string, source: string): { items: RawItem[]; errors: string[] } {
  const lineCounter = new LineCounter();
  const doc = parseYamlDocument(text, lineCounter);
  if (doc.errors.length > 0) {
    // yaml's messages carry the line and column on their first line, then a code frame.
    return { items: [], errors: doc.errors.map((e) => `${source}:${e.linePos?.[0].line ?? 1}: ${e.message.split('\n')[0] ?? e.message}`) };
  }
  if (doc.contents === null) return { items: [], errors: [] };
  if (!isSeq(doc.contents)) return { items: [], errors: [`${source}:1: expected a list of steps (- tool: NAME, args: {...})`] };
  const plain = yamlValue(doc);
  if (!plain.ok) return { items: [], errors: [`${source}:1: ${plain.error}`] };
  const values = plain.value as unknown[];
  const items = doc.contents.items.map((node, i): RawItem => {
    const offset = (node as { range?: [number, number, number] } | null)?.range?.[0] ?? 0;
    return { value: values[i], line: lineCounter.linePos(offset).line, path: [i] };
  });
  return { items, errors: [] };
}

/** Returns the script's calls in order, one per decision, then done. */
export class ScriptedPolicy implements AgentPolicy {
  constructor(
    private readonly steps: readonly ScriptStep[],
    readonly name = 'scripted',
  ) {}

  next(context: PolicyContext): Promise<PolicyDecision> {
    // The position comes from the history, not from a cursor: the same policy object can answer
    // for a replayed or resumed history.
    const index = context.history.filter((entry) => entry.call !== null).length;
    const step = this.steps[index];
    if (step === undefined) return Promise.resolve({ kind: 'done', text: `script finished after ${this.steps.length} calls` });
    const call: ToolCall = { id: step.id ?? `call_${index + 1}`, name: step.tool, arguments: step.args };
    return Promise.resolve({ kind: 'tool-call', call });
  }
}
