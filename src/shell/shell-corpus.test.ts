// The parser against 400+ real command lines (tldr-pages, CC BY 4.0; see the data file's header),
// each with the simple commands it would run.
import * as assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { before, describe, it } from 'node:test';
import { parse } from 'yaml';
import { ShellParser } from './shell-parser.js';
import { renderAnalysis } from './shell-types.js';

export const CORPUS_PATH = fileURLToPath(new URL('../../src/shell/testdata/tldr-commands.yaml', import.meta.url));

interface Row {
  page: string;
  command: string;
  expect: string[];
}

describe('shell parser on the tldr-pages corpus', () => {
  const rows = parse(readFileSync(CORPUS_PATH, 'utf8')) as Row[];
  let parser: ShellParser;
  before(async () => {
    parser = await ShellParser.create();
  });

  it('holds at least 200 real command lines', () => {
    assert.ok(rows.length >= 200, `${rows.length} rows`);
  });

  it('finds every simple command of each, as expected', () => {
    const wrong: string[] = [];
    for (const row of rows) {
      const got = renderAnalysis(parser.analyzeScript(row.command, { env: { HOME: '/tmp/home' } }));
      if (JSON.stringify(got) !== JSON.stringify(row.expect)) wrong.push(`${row.command}\n  expected ${JSON.stringify(row.expect)}\n  got      ${JSON.stringify(got)}`);
    }
    assert.deepEqual(wrong, []);
  });
});
