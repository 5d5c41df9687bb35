// Parses the built-in rule files (rules/builtin/*.yaml) at build time into
// dist/detect/builtin-rules.json, keyed by the sha256 of each file's text: loading them then
// skips the YAML parser (about 0.2 s of a one-shot `praetor run`). A built-in rule file that loads
// without an error here is also stored as the schemas returned it ("checked"): the loader then skips
// the schemas and compiles its regexes on first use (0.2-0.5 s more). Any file whose text no longer
// matches its key is parsed, validated and compiled from its YAML at run time.
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { isDeepStrictEqual } from 'node:util';
import { parseDocument } from 'yaml';

const { checkedDocument, prefilterKey } = await import('../dist/detect/rule-loader.js');
const { requiredLiterals } = await import('../dist/detect/regex-prefilter.js');
const documents = {};
// The literals every match of a checked rule's regex holds one of (src/detect/regex-prefilter.ts):
// a text without any of them skips the regex, which then compiles only where it might match.
const prefilters = {};
function addPrefilters(node) {
  if (Array.isArray(node)) return node.forEach(addPrefilters);
  if (node === null || typeof node !== 'object') return;
  if (node.op === 'regex' && typeof node.value === 'string') {
    const flags = node.flags ?? '';
    const required = requiredLiterals(node.value, flags);
    if (required !== null) prefilters[prefilterKey(node.value, flags)] = required;
  }
  Object.values(node).forEach(addPrefilters);
}
const checked = {};
// the tool catalogue (rules/catalogue) is cached the same way: tool-catalogue.ts reads it by hash
const files = ['rules/builtin', 'rules/catalogue'].flatMap((dir) =>
  readdirSync(dir).filter((n) => n.endsWith('.yaml')).sort().map((n) => `${dir}/${n}`),
);
for (const file of files) {
  const text = readFileSync(file, 'utf8');
  const doc = parseDocument(text);
  if (doc.errors.length > 0) continue; // the loader reports it, from the YAML, at run time
  const js = doc.toJS();
  // Only what JSON carries exactly: anything else is left to the parser at run time.
  if (!isDeepStrictEqual(JSON.parse(JSON.stringify(js)), js)) continue;
  const hash = createHash('sha256').update(text).digest('hex');
  documents[hash] = js;
  if (file.startsWith('rules/builtin/')) {
    const done = checkedDocument(js, file);
    if (done !== null) {
      checked[hash] = done;
      addPrefilters(done);
    }
  }
}
writeFileSync('dist/detect/builtin-rules.json', `${JSON.stringify({ documents, checked, prefilters })}\n`);
