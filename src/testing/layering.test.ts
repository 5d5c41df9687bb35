// The layering rule holds on the real tree, and the checker does fail on each kind of wrong import
// (fed made-up import graphs, so the proof does not depend on a broken tree).
import { describe, it } from 'node:test';
import * as assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { importGraph, layeringViolations, type ImportGraph } from './layering.js';

const SRC = fileURLToPath(new URL('../../src', import.meta.url));

function kinds(graph: Record<string, string[]>): string[] {
  return layeringViolations(new Map(Object.entries(graph)) as ImportGraph).map((v) => v.kind);
}

void describe('layering rule', () => {
  it('holds on the tree: no upward import, no test kit in product code, no cycle', () => {
    assert.ok(existsSync(SRC), `no sources at ${SRC}`);
    const graph = importGraph(SRC);
    assert.ok(graph.size > 150, `only ${graph.size} files read`);
    assert.ok((graph.get('guard/guard.ts') ?? []).includes('sandbox/backend.ts'), 'imports were not read');
    assert.deepEqual(layeringViolations(graph), []);
  });

  it('accepts downward imports, imports within a folder, and tests that import anything', () => {
    assert.deepEqual(
      kinds({
        'core/errors.ts': [],
        'sandbox/backend.ts': ['core/errors.ts'],
        'sandbox/local/local-backend.ts': ['sandbox/backend.ts'],
        'guard/guard.ts': ['sandbox/backend.ts', 'core/errors.ts'],
        'guard/guard.test.ts': ['guard/guard.ts', 'cli/main.ts', 'testing/fake-backend.ts'],
        'testing/fake-backend.ts': ['sandbox/backend.ts', 'redteam/x.ts'],
        'cli/main.ts': ['guard/guard.ts'],
        'redteam/x.ts': ['guard/guard.ts'],
      }),
      [],
    );
  });

  it('fails on an upward import', () => {
    assert.deepEqual(kinds({ 'sandbox/backend.ts': ['guard/guard.ts'], 'guard/guard.ts': [] }), ['upward-import']);
    assert.deepEqual(kinds({ 'core/errors.ts': ['sandbox/backend.ts'], 'sandbox/backend.ts': [] }), ['upward-import']);
  });

  it('fails on product code importing a test kit, a fixture, a conformance suite or a test', () => {
    for (const kit of ['testing/fake-backend.ts', 'episode/episode-fixtures.ts', 'sandbox/backend-conformance.ts', 'guard/invariants/x.ts', 'sandbox/x.test.ts']) {
      assert.deepEqual(kinds({ 'guard/guard.ts': [kit], [kit]: [] }), ['imports-test-kit'], kit);
    }
  });

  it('fails on product code outside sandbox/ reaching the local backend instead of the contract', () => {
    assert.deepEqual(kinds({ 'guard/guard.ts': ['sandbox/local/local-sandbox.ts'], 'sandbox/local/local-sandbox.ts': [] }), ['imports-backend']);
    assert.deepEqual(kinds({ 'cli/run.ts': ['sandbox/local/local-backend.ts'], 'sandbox/local/local-backend.ts': [] }), ['imports-backend']);
    assert.deepEqual(kinds({ 'sandbox/open-backend.ts': ['sandbox/local/local-backend.ts'], 'sandbox/local/local-backend.ts': [] }), []);
  });

  it('fails on a cycle between files and between folders', () => {
    assert.deepEqual(kinds({ 'episode/a.ts': ['episode/b.ts'], 'episode/b.ts': ['episode/c.ts'], 'episode/c.ts': ['episode/a.ts'] }), ['file-cycle']);
    // the guard <-> redteam cycle this rule was written against
    assert.deepEqual(kinds({ 'guard/kit.ts': ['redteam/world.ts'], 'redteam/world.ts': [], 'redteam/run.ts': ['guard/guard.ts'], 'guard/guard.ts': [] }).sort(), [
      'folder-cycle',
      'upward-import',
    ]);
  });

  it('fails on a file outside the folders of the rule', () => {
    assert.deepEqual(kinds({ 'stray.ts': [] }), ['unknown-folder']);
    assert.deepEqual(kinds({ 'newfolder/a.ts': [] }), ['unknown-folder']);
  });
});
