// The `write_file` tool: creates or replaces a file (and its parent folders) in the sandbox.
import { z } from 'zod';
import { defineTool, observation, type Tool } from './tool.js';
import { pathArg } from './tool-paths.js';

export const WriteFileArgsSchema = z.strictObject({
  path: pathArg('The file to write; parent folders are created.'),
  content: z.string().describe('The whole new content of the file.'),
});
export type WriteFileArgs = z.output<typeof WriteFileArgsSchema>;

export function writeFileTool(): Tool {
  return defineTool({
    name: 'write_file',
    description: 'Create a file or replace its whole content. To change part of a file, use edit_file.',
    schema: WriteFileArgsSchema,
    async run(args, context) {
      await context.writeFile(args.path, args.content);
      return observation(`wrote ${Buffer.byteLength(args.content)} bytes to ${args.path}`);
    },
  });
}
