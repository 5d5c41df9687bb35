// The `bash` tool: one command line, run as one sandbox step in /workspace, with a timeout and
// capped output.
import { z } from 'zod';
import type { ExecResult } from '../../sandbox/backend.js';
import { defineTool, observation, type Tool } from './tool.js';
import { WORKSPACE } from './tool-paths.js';
import { OUTPUT_CAP_BYTES, outputText } from './tool-output.js';

export const BASH_DEFAULT_TIMEOUT_SECONDS = 120;
export const BASH_MAX_TIMEOUT_SECONDS = 600;

export const BashArgsSchema = z.strictObject({
  command: z.string().min(1, 'must not be empty').describe('The command line, run with `bash -c`.'),
  timeout_seconds: z
    .number()
    .positive()
    .max(BASH_MAX_TIMEOUT_SECONDS)
    .optional()
    .describe(`Kill the command after this many seconds (default ${BASH_DEFAULT_TIMEOUT_SECONDS}).`),
});
export type BashArgs = z.output<typeof BashArgsSchema>;

/** The argv the sandbox runs; `-c` rather than `-lc` so no profile script runs before each step. */
export function bashArgv(command: string): string[] {
  return ['bash', '-c', command];
}

/** stdout, then stderr, then how it ended: the model needs all three to judge the outcome. */
export function formatExecResult(result: ExecResult, timeoutSeconds: number): string {
  const parts: string[] = [];
  if (result.stdout.length > 0 || result.stdoutTruncated) parts.push(outputText(result.stdout, result.stdoutTruncated, 'stdout'));
  if (result.stderr.length > 0 || result.stderrTruncated) {
    parts.push(`[stderr]\n${outputText(result.stderr, result.stderrTruncated, 'stderr')}`);
  }
  if (parts.length === 0) parts.push('(no output)\n');
  const text = parts.map((p) => (p.endsWith('\n') ? p : `${p}\n`)).join('');
  const end = result.exitCode !== null ? `exit code ${result.exitCode}` : `exit code none (killed by ${result.signal ?? 'a signal'})`;
  return `${text}${result.timedOut ? `timed out after ${timeoutSeconds}s\n` : ''}${end}`;
}

export function bashTool(): Tool {
  return defineTool({
    name: 'bash',
    description:
      `Run a bash command line in the sandbox, in ${WORKSPACE}. Returns stdout, stderr and the exit code; ` +
      `each stream is cut at ${OUTPUT_CAP_BYTES / 1024} KiB. Processes started in the background keep running.`,
    schema: BashArgsSchema,
    async run(args, context) {
      const timeoutSeconds = args.timeout_seconds ?? BASH_DEFAULT_TIMEOUT_SECONDS;
      const result = await context.exec(bashArgv(args.command), {
        cwd: WORKSPACE,
        timeoutMs: Math.round(timeoutSeconds * 1000),
        maxOutputBytes: OUTPUT_CAP_BYTES,
      });
      // A failed command is an error for the record, though not a refusal: its output is the answer.
      return observation(formatExecResult(result, timeoutSeconds), result.timedOut || result.exitCode !== 0);
    },
  });
}
