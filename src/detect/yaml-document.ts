// YAML for every file praetor reads (rules, tasks, scenarios, scripts), with one set of limits. The
// yaml package expands aliases only when a document becomes plain values, and refuses past
// maxAliasCount: an alias bomb ("billion laughs") then fails there with a ReferenceError, which
// this module turns into a problem of the file instead of an exception.
import { parseDocument, type Document, type LineCounter } from 'yaml';

/** Alias expansions a document may make; none of praetor's own files needs more than a handful. */
export const MAX_YAML_ALIASES = 100;

export function parseYamlDocument(text: string, lineCounter?: LineCounter): Document.Parsed {
  return parseDocument(text, lineCounter === undefined ? {} : { lineCounter });
}

/** The document as plain values, or why not (an alias bomb, too deep a structure). */
export function yamlValue(doc: Document.Parsed): { ok: true; value: unknown } | { ok: false; error: string } {
  try {
    return { ok: true, value: doc.toJS({ maxAliasCount: MAX_YAML_ALIASES }) as unknown };
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    return {
      ok: false,
      error: /alias count/i.test(message)
        ? `refused: its aliases expand past ${MAX_YAML_ALIASES} (a YAML alias bomb?)`
        : `cannot be read as plain values: ${message}`,
    };
  }
}
