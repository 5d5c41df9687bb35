import { describe, it } from 'node:test';
import * as assert from 'node:assert/strict';
import { applyEdit, editFileTool } from './edit-file-tool.js';
import { FakeSandbox } from '../../testing/fake-sandbox.js';
import { lineWindow, readFileTool } from './read-file-tool.js';
import type { Tool } from './tool.js';
import { resolveSandboxPath } from './tool-paths.js';
import { writeFileTool } from './write-file-tool.js';
import type { ToolResult } from '../agent-types.js';

async function run(tool: Tool, sandbox: FakeSandbox, args: unknown): Promise<ToolResult> {
  const built = tool.build(args);
  assert.ok(built.ok, built.ok ? '' : built.error);
  return built.invocation.execute(sandbox);
}

describe('paths', () => {
  it('resolves relative paths against /workspace and normalises', () => {
    assert.equal(resolveSandboxPath('src/a.ts'), '/workspace/src/a.ts');
    assert.equal(resolveSandboxPath('./a/../b'), '/workspace/b');
    assert.equal(resolveSandboxPath('/etc//hosts'), '/etc/hosts');
  });

  it('rejects NUL bytes and empty paths', () => {
    assert.deepEqual(readFileTool().build({ path: 'a\0b' }), { ok: false, error: 'path: must not contain NUL bytes' });
    assert.deepEqual(writeFileTool().build({ path: '', content: '' }), { ok: false, error: 'path: must not be empty' });
  });
});

describe('read_file', () => {
  const text = Array.from({ length: 10 }, (_, i) => `line ${i + 1}`).join('\n') + '\n';

  it('reads a whole file by relative path, with its step', async () => {
    const sandbox = new FakeSandbox({ files: { '/workspace/a.txt': 'one\ntwo\n' } });
    assert.deepEqual(await run(readFileTool(), sandbox, { path: 'a.txt' }), {
      observation: { content: 'one\ntwo', isError: false, denied: false },
      sandboxSteps: [1],
    });
  });

  it('reads a window of lines and says where the rest is', async () => {
    const sandbox = new FakeSandbox({ files: { '/workspace/a.txt': text } });
    const { observation } = await run(readFileTool(), sandbox, { path: '/workspace/a.txt', offset: 3, limit: 2 });
    assert.equal(observation.content, 'line 3\nline 4\n[lines 3-4 of 10; call read_file with offset 5 for more]');
    assert.equal(lineWindow(text, 9, 5).content, 'line 9\nline 10\n[lines 9-10 of 10]');
  });

  it('cuts at the byte cap', () => {
    const window = lineWindow('aaaa\nbbbb\ncccc\n', 1, 100, 10);
    assert.equal(window.content, 'aaaa\nbbbb\n[lines 1-2 of 3; call read_file with offset 3 for more]');
  });

  it('reports a missing file, an offset past the end and a binary file as errors', async () => {
    const sandbox = new FakeSandbox({ files: { '/workspace/a.txt': text, '/workspace/b.bin': Buffer.from([1, 0, 2]) } });
    const missing = await run(readFileTool(), sandbox, { path: 'nope.txt' });
    assert.deepEqual(missing.observation, {
      content: 'read_file failed: read /workspace/nope.txt: cat: /workspace/nope.txt: No such file or directory',
      isError: true,
      denied: false,
    });
    assert.equal((await run(readFileTool(), sandbox, { path: 'a.txt', offset: 11 })).observation.content, 'offset 11 is past the end of the file (10 lines)');
    assert.equal((await run(readFileTool(), sandbox, { path: 'b.bin' })).observation.isError, true);
  });
});

describe('write_file', () => {
  it('writes the content and counts the step', async () => {
    const sandbox = new FakeSandbox();
    const result = await run(writeFileTool(), sandbox, { path: 'out/x.txt', content: 'héllo' });
    assert.equal(sandbox.files.get('/workspace/out/x.txt')?.toString(), 'héllo');
    assert.deepEqual(result, { observation: { content: 'wrote 6 bytes to /workspace/out/x.txt', isError: false, denied: false }, sandboxSteps: [1] });
  });
});

describe('edit_file', () => {
  it('replaces a unique match exactly, $ patterns included', async () => {
    const sandbox = new FakeSandbox({ files: { '/workspace/a.ts': 'const a = 1;\nconst b = 2;\n' } });
    const result = await run(editFileTool(), sandbox, { path: 'a.ts', old_string: 'b = 2', new_string: "b = '$&'" });
    assert.equal(sandbox.files.get('/workspace/a.ts')?.toString(), "const a = 1;\nconst b = '$&';\n");
    assert.equal(result.observation.content, 'replaced 1 occurrence in /workspace/a.ts');
    assert.deepEqual(result.sandboxSteps, [1, 2]);
  });

  it('refuses a missing or ambiguous match as data, and leaves the file alone', async () => {
    const sandbox = new FakeSandbox({ files: { '/workspace/a.ts': 'x x x' } });
    const missing = await run(editFileTool(), sandbox, { path: 'a.ts', old_string: 'y', new_string: 'z' });
    assert.equal(missing.observation.isError, true);
    assert.match(missing.observation.content, /old_string was not found/);
    const ambiguous = await run(editFileTool(), sandbox, { path: 'a.ts', old_string: 'x', new_string: 'z' });
    assert.equal(ambiguous.observation.content, '/workspace/a.ts: old_string occurs 3 times; add surrounding context to make it unique, or set replace_all');
    assert.equal(sandbox.files.get('/workspace/a.ts')?.toString(), 'x x x');
    assert.deepEqual(ambiguous.sandboxSteps, [2], 'read only, no write');
  });

  it('replaces every match with replace_all', async () => {
    const sandbox = new FakeSandbox({ files: { '/workspace/a.ts': 'x x x' } });
    const result = await run(editFileTool(), sandbox, { path: 'a.ts', old_string: 'x', new_string: 'y', replace_all: true });
    assert.equal(sandbox.files.get('/workspace/a.ts')?.toString(), 'y y y');
    assert.equal(result.observation.content, 'replaced 3 occurrences in /workspace/a.ts');
  });

  it('rejects an empty old_string and a no-op edit', () => {
    assert.deepEqual(editFileTool().build({ path: 'a', old_string: '', new_string: 'x' }), {
      ok: false,
      error: 'old_string: must not be empty (use write_file to create a file)',
    });
    assert.deepEqual(applyEdit('abc', 'b', 'b', false), { ok: false, error: 'old_string and new_string are the same; nothing to change' });
  });
});
