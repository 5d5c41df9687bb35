// A tool is declared (name, description, zod schema) and then invoked: build() validates the
// model's arguments into an invocation, execute() runs it; every failure comes back as data.
import { z } from 'zod';
import type { ExecOptions, ExecResult, Sandbox } from '../../sandbox/backend.js';
import { PraetorError, errorMessage } from '../../core/errors.js';
import { formatIssues } from '../../core/schema-issues.js';
import type { Observation, ToolResult } from '../agent-types.js';

export interface ToolInvocation {
  readonly tool: string;
  /** The validated arguments (paths already resolved against /workspace). */
  readonly args: Readonly<Record<string, unknown>>;
  /** Never rejects: sandbox refusals and failures come back as the observation. */
  execute(sandbox: Sandbox, signal?: AbortSignal): Promise<ToolResult>;
}

export type BuildResult = { ok: true; invocation: ToolInvocation } | { ok: false; error: string };

export interface Tool {
  readonly name: string;
  readonly description: string;
  readonly schema: z.ZodType;
  /** The JSON schema of the arguments the model writes, derived from `schema`. */
  jsonSchema(): Record<string, unknown>;
  build(args: unknown): BuildResult;
}

/** What a tool's body gets: the sandbox's operations, each recording the steps it ran as. */
export interface ToolContext {
  exec(argv: readonly string[], options?: ExecOptions): Promise<ExecResult>;
  readFile(path: string): Promise<Buffer>;
  writeFile(path: string, data: string | Buffer): Promise<void>;
  readonly signal: AbortSignal | undefined;
}

export interface ToolSpec<S extends z.ZodType<Record<string, unknown>>> {
  readonly name: string;
  readonly description: string;
  readonly schema: S;
  run(args: z.output<S>, context: ToolContext): Promise<Observation>;
}

export function observation(content: string, isError = false): Observation {
  return { content, isError, denied: false };
}

/** A thrown failure as the model should see it; praetor's refusals are marked denied. */
export function failureObservation(tool: string, err: unknown): Observation {
  if (err instanceof PraetorError && err.code === 'policy-denied') {
    return { content: `praetor refused this ${tool} call: ${err.message}`, isError: true, denied: true };
  }
  if (err instanceof PraetorError && err.code === 'sandbox-not-found') {
    return { content: `praetor refused this ${tool} call: the sandbox is gone (${err.message})`, isError: true, denied: true };
  }
  return observation(`${tool} failed: ${errorMessage(err)}`, true);
}

export function defineTool<S extends z.ZodType<Record<string, unknown>>>(spec: ToolSpec<S>): Tool {
  return {
    name: spec.name,
    description: spec.description,
    schema: spec.schema,
    jsonSchema() {
      // `input`: fields with defaults are optional for the model; `$schema` means nothing to it.
      const { $schema: _ignored, ...schema } = z.toJSONSchema(spec.schema, { io: 'input' });
      return schema;
    },
    build(raw: unknown): BuildResult {
      const parsed = spec.schema.safeParse(raw ?? {});
      if (!parsed.success) return { ok: false, error: formatIssues(parsed.error.issues).join('; ') };
      const args = parsed.data;
      return {
        ok: true,
        invocation: { tool: spec.name, args, execute: (sandbox, signal) => execute(spec, args, sandbox, signal) },
      };
    },
  };
}

async function execute<S extends z.ZodType<Record<string, unknown>>>(
  spec: ToolSpec<S>,
  args: z.output<S>,
  sandbox: Sandbox,
  signal: AbortSignal | undefined,
): Promise<ToolResult> {
  const sandboxSteps: number[] = [];
  let refused: string | null = null;
  if (signal?.aborted) return { observation: observation(`${spec.name} was cancelled before it ran`, true), sandboxSteps };
  // readFile and writeFile run execs of their own without telling their steps; tools run one at
  // a time per sandbox, so the steps begun while one of them ran are its steps.
  const stepsDuring = async <T>(op: () => Promise<T>): Promise<T> => {
    const before = sandbox.info().steps;
    try {
      return await op();
    } finally {
      for (let step = before + 1; step <= sandbox.info().steps; step++) sandboxSteps.push(step);
    }
  };
  const context: ToolContext = {
    signal,
    async exec(argv, options) {
      const result = await sandbox.exec(argv, options);
      sandboxSteps.push(result.step);
      refused ??= result.refused ?? null;
      return result;
    },
    readFile: (path) => stepsDuring(() => sandbox.readFile(path)),
    writeFile: (path, data) => stepsDuring(() => sandbox.writeFile(path, data)),
  };
  try {
    const observed = await spec.run(args, context);
    // an exec praetor refused before it ran makes the whole call a refusal, whatever the tool made of it
    return { observation: refused === null ? observed : { ...observed, isError: true, denied: true }, sandboxSteps };
  } catch (err) {
    return { observation: failureObservation(spec.name, err), sandboxSteps };
  }
}
