// The export's line format as a JSON Schema (draft 2020-12), generated from the zod schema that
// checks every exported line, so docs/export-schema.json can not say something else than the code.
// Checks zod runs as code (a tool call answered before the next message, arguments that parse as
// a JSON object) are not in the schema; exportEpisodeLines still runs them on every line.
import { z } from 'zod';
import { ChatLineSchema } from './chat-format.js';

/** A name, not an address: praetor publishes the schema in its docs folder. */
export const EXPORT_SCHEMA_ID = 'urn:praetor:export-line:1';

export function exportJsonSchema(): Record<string, unknown> {
  const schema = z.toJSONSchema(ChatLineSchema, { io: 'output', unrepresentable: 'any' });
  return {
    $schema: schema.$schema,
    $id: EXPORT_SCHEMA_ID,
    title: 'praetor episode export line',
    description: 'One line of `praetor export` (JSONL): an episode as OpenAI chat messages with the tools offered, and praetor metadata (reward, penalty per behaviour, per-step safety labels, model turns with token ids). See docs/episodes.md.',
    ...Object.fromEntries(Object.entries(schema).filter(([k]) => k !== '$schema')),
  };
}

/** The schema as docs/export-schema.json holds it: two-space indented, newline at the end. */
export function exportJsonSchemaText(): string {
  return `${JSON.stringify(exportJsonSchema(), null, 2)}\n`;
}
