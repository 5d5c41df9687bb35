// The `list_dir` tool: `ls -la` of one folder, as one sandbox step.
import { z } from 'zod';
import { defineTool, observation, type Tool } from './tool.js';
import { WORKSPACE, pathArg } from './tool-paths.js';
import { OUTPUT_CAP_BYTES, outputText } from './tool-output.js';

export const LIST_TIMEOUT_MS = 30_000;

export const ListDirArgsSchema = z.strictObject({
  path: pathArg(`The folder to list (default ${WORKSPACE}).`).optional(),
});
export type ListDirArgs = z.output<typeof ListDirArgsSchema>;

export function listDirArgv(path: string): string[] {
  return ['ls', '-la', '--', path];
}

export function listDirTool(): Tool {
  return defineTool({
    name: 'list_dir',
    description: `List a folder in the sandbox with \`ls -la\` (default ${WORKSPACE}).`,
    schema: ListDirArgsSchema,
    async run(args, context) {
      const path = args.path ?? WORKSPACE;
      const result = await context.exec(listDirArgv(path), { timeoutMs: LIST_TIMEOUT_MS, maxOutputBytes: OUTPUT_CAP_BYTES });
      if (result.exitCode !== 0) {
        const why = result.stderr.toString('utf8').trim() || (result.timedOut ? 'timed out' : `exit code ${result.exitCode ?? 'none'}`);
        return observation(`cannot list ${path}: ${why}`, true);
      }
      return observation(outputText(result.stdout, result.stdoutTruncated, 'listing').trimEnd());
    },
  });
}
