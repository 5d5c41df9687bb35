// The `grep` tool: a recursive regex search as one sandbox step, with ripgrep when the sandbox has
// it and grep otherwise; the model's pattern, path and glob are passed as arguments, never as code.
import { z } from 'zod';
import { defineTool, observation, type Tool } from './tool.js';
import { WORKSPACE, pathArg } from './tool-paths.js';
import { OUTPUT_CAP_BYTES, capLines, outputText } from './tool-output.js';

export const GREP_MAX_LINES = 200;
export const GREP_MAX_LINE_CHARS = 500;
export const GREP_TIMEOUT_MS = 60_000;

export const GrepArgsSchema = z.strictObject({
  pattern: z
    .string()
    .min(1, 'must not be empty')
    .refine((p) => !p.includes('\0'), 'must not contain NUL bytes')
    .describe('Extended regular expression to search for.'),
  path: pathArg(`File or folder to search (default ${WORKSPACE}).`).optional(),
  glob: z
    .string()
    .min(1, 'must not be empty')
    .refine((g) => !g.includes('\0'), 'must not contain NUL bytes')
    .optional()
    .describe('Only search files whose name matches this glob, e.g. "*.ts".'),
  ignore_case: z.boolean().optional().describe('Match without regard to case.'),
});
export type GrepArgs = z.output<typeof GrepArgsSchema>;

/**
 * `sh -c SCRIPT grep PATTERN PATH [GLOB]`: the script is built only from fixed flags and reads the
 * model's values as "$1".."$3", so no quoting of model text is ever needed.
 */
export function grepArgv(args: { pattern: string; path: string; glob?: string | undefined; ignoreCase?: boolean | undefined }): string[] {
  const rg = ['rg', '--line-number', '--with-filename', '--no-heading', '--color=never'];
  const grep = ['grep', '-rnHEI', '--exclude-dir=.git'];
  if (args.ignoreCase === true) {
    rg.push('--ignore-case');
    grep.push('-i');
  }
  if (args.glob !== undefined) {
    rg.push('--glob', '"$3"');
    grep.push('--include="$3"');
  }
  const tail = '-e "$1" -- "$2"';
  const script = `if command -v rg >/dev/null 2>&1; then exec ${rg.join(' ')} ${tail}; else exec ${grep.join(' ')} ${tail}; fi`;
  return ['sh', '-c', script, 'grep', args.pattern, args.path, ...(args.glob !== undefined ? [args.glob] : [])];
}

export function grepTool(): Tool {
  return defineTool({
    name: 'grep',
    description:
      `Search file contents recursively for a regular expression (ripgrep, or grep -E). Returns file:line:text, ` +
      `at most ${GREP_MAX_LINES} lines; narrow with path or glob when there are more. ` +
      'With ripgrep, hidden and .gitignored files are skipped.',
    schema: GrepArgsSchema,
    async run(args, context) {
      const argv = grepArgv({ pattern: args.pattern, path: args.path ?? WORKSPACE, glob: args.glob, ignoreCase: args.ignore_case });
      const result = await context.exec(argv, { timeoutMs: GREP_TIMEOUT_MS, maxOutputBytes: OUTPUT_CAP_BYTES });
      const stdout = result.stdout.toString('utf8');
      // Exit 1 is grep's and rg's "no match"; 2 and up (or a timeout) is a failure, with what it found so far.
      if (result.exitCode === 1 && stdout === '') return observation('no matches');
      const matches = capLines(stdout, GREP_MAX_LINES, GREP_MAX_LINE_CHARS, 'matching lines');
      const cut = result.stdoutTruncated ? `\n[output cut at ${OUTPUT_CAP_BYTES / 1024} KiB; narrow the search]` : '';
      if (result.exitCode === 0) return observation(matches + cut);
      const stderr = outputText(result.stderr, result.stderrTruncated, 'stderr').trim();
      const end = result.timedOut ? `timed out after ${GREP_TIMEOUT_MS / 1000}s` : `exit code ${result.exitCode ?? 'none'}`;
      return observation([matches + cut, stderr, end].filter((s) => s !== '').join('\n'), true);
    },
  });
}
