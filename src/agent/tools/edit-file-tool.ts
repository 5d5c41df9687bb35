// The `edit_file` tool: exact string replacement. An ambiguous or missing match is refused as data,
// so the model adds context instead of editing the wrong place.
import { z } from 'zod';
import { defineTool, observation, type Tool } from './tool.js';
import { pathArg } from './tool-paths.js';
import { looksBinary } from './tool-output.js';

export const EditFileArgsSchema = z.strictObject({
  path: pathArg('The file to edit.'),
  old_string: z.string().min(1, 'must not be empty (use write_file to create a file)').describe('The exact text to replace.'),
  new_string: z.string().describe('The text to put in its place.'),
  replace_all: z.boolean().optional().describe('Replace every occurrence (default: old_string must occur exactly once).'),
});
export type EditFileArgs = z.output<typeof EditFileArgsSchema>;

export type EditOutcome = { ok: true; text: string; count: number } | { ok: false; error: string };

/** The edit as a pure function of the file's text, for tests and for callers that hold the text. */
export function applyEdit(text: string, oldString: string, newString: string, replaceAll: boolean): EditOutcome {
  if (oldString === newString) return { ok: false, error: 'old_string and new_string are the same; nothing to change' };
  const count = text.split(oldString).length - 1;
  if (count === 0) return { ok: false, error: 'old_string was not found in the file (it must match exactly, whitespace included)' };
  if (count > 1 && !replaceAll) {
    return {
      ok: false,
      error: `old_string occurs ${count} times; add surrounding context to make it unique, or set replace_all`,
    };
  }
  // split/join, not String.replace: `$&` and friends in new_string must stay literal.
  const edited = replaceAll ? text.split(oldString).join(newString) : text.replace(oldString, () => newString);
  return { ok: true, text: edited, count: replaceAll ? count : 1 };
}

export function editFileTool(): Tool {
  return defineTool({
    name: 'edit_file',
    description:
      'Replace exact text in a file. old_string must occur exactly once unless replace_all is true; ' +
      'include enough surrounding lines to make it unique.',
    schema: EditFileArgsSchema,
    async run(args, context) {
      const data = await context.readFile(args.path);
      if (looksBinary(data)) return observation(`${args.path} is a binary file; edit_file only edits text`, true);
      const outcome = applyEdit(data.toString('utf8'), args.old_string, args.new_string, args.replace_all ?? false);
      if (!outcome.ok) return observation(`${args.path}: ${outcome.error}`, true);
      await context.writeFile(args.path, outcome.text);
      return observation(`replaced ${outcome.count} occurrence${outcome.count === 1 ? '' : 's'} in ${args.path}`);
    },
  });
}
