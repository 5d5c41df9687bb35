import { describe, it } from 'node:test';
import * as assert from 'node:assert/strict';
import { PraetorError } from '../../core/errors.js';
import { FakeSandbox } from '../../testing/fake-sandbox.js';
import { ToolRegistry } from './tool-registry.js';
import { bashTool } from './bash-tool.js';

describe('ToolRegistry', () => {
  it('declares the default tools in the OpenAI tools format', () => {
    const declarations = new ToolRegistry().declarations();
    assert.deepEqual(
      declarations.map((d) => d.function.name),
      ['bash', 'read_file', 'write_file', 'edit_file', 'list_dir', 'grep'],
    );
    for (const d of declarations) {
      assert.equal(d.type, 'function');
      assert.ok(d.function.description.length > 20);
      assert.equal(d.function.parameters.type, 'object');
      assert.equal(d.function.parameters.$schema, undefined);
    }
  });

  it('runs a call and returns the steps it ran as', async () => {
    const sandbox = new FakeSandbox({ exec: () => ({ stdout: 'ok\n' }) });
    const result = await new ToolRegistry().run({ id: 'c1', name: 'bash', arguments: { command: 'true' } }, sandbox);
    assert.deepEqual(result, { observation: { content: 'ok\nexit code 0', isError: false, denied: false }, sandboxSteps: [1] });
  });

  it('answers an unknown tool or bad arguments with an error observation, never a throw', async () => {
    const registry = new ToolRegistry();
    const sandbox = new FakeSandbox();
    const unknown = await registry.run({ id: 'c1', name: 'python', arguments: {} }, sandbox);
    assert.deepEqual(unknown, {
      observation: {
        content: 'unknown tool "python"; the tools are: bash, read_file, write_file, edit_file, list_dir, grep',
        isError: true,
        denied: false,
      },
      sandboxSteps: [],
    });
    const bad = await registry.run({ id: 'c2', name: 'read_file', arguments: { path: 7, limit: 0 } }, sandbox);
    assert.equal(bad.observation.isError, true);
    assert.match(bad.observation.content, /^invalid arguments for read_file: path: .*; limit: /);
    assert.equal(sandbox.execs.length, 0);
  });

  it('marks calls the sandbox refuses as denied', async () => {
    const sandbox = new FakeSandbox();
    await sandbox.destroy();
    const result = await new ToolRegistry().run({ id: 'c1', name: 'write_file', arguments: { path: 'a', content: 'b' } }, sandbox);
    assert.equal(result.observation.denied, true);
    assert.equal(result.observation.content, 'praetor refused this write_file call: the sandbox is gone (sandbox fake-sandbox is destroyed)');
    sandbox.refusal = new PraetorError('policy-denied', 'the guard terminated this sandbox');
    const denied = await new ToolRegistry().run({ id: 'c2', name: 'list_dir', arguments: {} }, sandbox);
    assert.deepEqual(denied.observation, { content: 'praetor refused this list_dir call: the guard terminated this sandbox', isError: true, denied: true });
  });

  it('refuses two tools with one name', () => {
    assert.throws(() => new ToolRegistry([bashTool(), bashTool()]), /two tools are named bash/);
  });
});
