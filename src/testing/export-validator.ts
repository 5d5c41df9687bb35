// Checks export lines against docs/export-schema.json with ajv (draft 2020-12): a standard
// validator reading the published schema, as a trainer's pipeline would.
import { readFileSync } from 'node:fs';
import { Ajv2020 } from 'ajv/dist/2020.js';

export const EXPORT_SCHEMA_PATH = new URL('../../docs/export-schema.json', import.meta.url);

/** A validator of export lines: the schema's complaints about a line, none when it is valid. */
export function exportLineValidator(): (line: unknown) => string[] {
  const ajv = new Ajv2020({ allErrors: true, strict: true, strictRequired: false });
  const validate = ajv.compile(JSON.parse(readFileSync(EXPORT_SCHEMA_PATH, 'utf8')) as object);
  return (line) => (validate(line) ? [] : (validate.errors ?? []).map((e) => `${e.instancePath || '/'} ${e.message ?? ''}`));
}
