// The `read_file` tool: a window of lines of a text file, read with the sandbox's own rights.
import { z } from 'zod';
import { defineTool, observation, type Tool } from './tool.js';
import { pathArg } from './tool-paths.js';
import { OUTPUT_CAP_BYTES, formatBytes, looksBinary } from './tool-output.js';

export const READ_DEFAULT_LIMIT = 2000;
const MAX_LIMIT = 100_000;

export const ReadFileArgsSchema = z.strictObject({
  path: pathArg('The file to read.'),
  offset: z.number().int().min(1).max(100_000_000).optional().describe('First line to return, 1-based (default 1).'),
  limit: z.number().int().min(1).max(MAX_LIMIT).optional().describe(`Most lines to return (default ${READ_DEFAULT_LIMIT}).`),
});
export type ReadFileArgs = z.output<typeof ReadFileArgsSchema>;

/** The lines [offset, offset + limit) of `text`, cut at the byte cap, with a notice when partial. */
export function lineWindow(text: string, offset: number, limit: number, capBytes = OUTPUT_CAP_BYTES): { content: string; isError: boolean } {
  const lines = text.split('\n');
  if (lines.at(-1) === '') lines.pop();
  if (lines.length === 0) return { content: '(empty file)', isError: false };
  if (offset > lines.length) {
    return { content: `offset ${offset} is past the end of the file (${lines.length} lines)`, isError: true };
  }
  const kept: string[] = [];
  let bytes = 0;
  for (let i = offset - 1; i < Math.min(lines.length, offset - 1 + limit); i++) {
    const line = lines[i] ?? '';
    bytes += Buffer.byteLength(line) + 1;
    if (bytes > capBytes && kept.length > 0) break;
    kept.push(line);
  }
  const last = offset + kept.length - 1;
  let content = kept.join('\n');
  if (offset > 1 || last < lines.length) {
    content += `\n[lines ${offset}-${last} of ${lines.length}`;
    content += last < lines.length ? `; call read_file with offset ${last + 1} for more]` : ']';
  }
  return { content, isError: false };
}

export function readFileTool(): Tool {
  return defineTool({
    name: 'read_file',
    description:
      `Read a text file in the sandbox. Returns up to ${READ_DEFAULT_LIMIT} lines (or ${OUTPUT_CAP_BYTES / 1024} KiB) ` +
      'from `offset`; a notice at the end says when there is more.',
    schema: ReadFileArgsSchema,
    async run(args, context) {
      const data = await context.readFile(args.path);
      if (looksBinary(data)) return observation(`${args.path} is a binary file (${formatBytes(data.length)}); not shown`, true);
      const window = lineWindow(data.toString('utf8'), args.offset ?? 1, args.limit ?? READ_DEFAULT_LIMIT);
      return observation(window.content, window.isError);
    },
  });
}
