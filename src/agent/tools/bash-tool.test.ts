import { describe, it } from 'node:test';
import * as assert from 'node:assert/strict';
import { PraetorError } from '../../core/errors.js';
import { bashTool } from './bash-tool.js';
import { FakeSandbox } from '../../testing/fake-sandbox.js';
import type { ToolInvocation } from './tool.js';

function invocation(args: unknown): ToolInvocation {
  const built = bashTool().build(args);
  assert.ok(built.ok, built.ok ? '' : built.error);
  return built.invocation;
}

describe('bash tool', () => {
  it('runs bash -c in /workspace with the default timeout and an output cap', async () => {
    const sandbox = new FakeSandbox({ exec: () => ({ exitCode: 0, stdout: 'hello\n' }) });
    const result = await invocation({ command: 'echo hello' }).execute(sandbox);
    assert.deepEqual(sandbox.execs[0]?.argv, ['bash', '-c', 'echo hello']);
    assert.equal(sandbox.execs[0]?.options.cwd, '/workspace');
    assert.equal(sandbox.execs[0]?.options.timeoutMs, 120_000);
    assert.equal(sandbox.execs[0]?.options.maxOutputBytes, 64 * 1024);
    assert.deepEqual(result, { observation: { content: 'hello\nexit code 0', isError: false, denied: false }, sandboxSteps: [1] });
  });

  it('shows stdout, stderr and a failing exit code', async () => {
    const sandbox = new FakeSandbox({ exec: () => ({ exitCode: 2, stdout: 'partial', stderr: 'boom\n' }) });
    const { observation } = await invocation({ command: 'make' }).execute(sandbox);
    assert.equal(observation.content, 'partial\n[stderr]\nboom\nexit code 2');
    assert.equal(observation.isError, true);
    assert.equal(observation.denied, false);
  });

  it('says when the command timed out, with the timeout asked for', async () => {
    const sandbox = new FakeSandbox({ exec: () => ({ exitCode: null, signal: 'SIGKILL', timedOut: true }) });
    const { observation } = await invocation({ command: 'sleep 99', timeout_seconds: 2 }).execute(sandbox);
    assert.equal(sandbox.execs[0]?.options.timeoutMs, 2000);
    assert.equal(observation.content, '(no output)\ntimed out after 2s\nexit code none (killed by SIGKILL)');
    assert.equal(observation.isError, true);
  });

  it('appends a notice when output was cut', async () => {
    const sandbox = new FakeSandbox({ exec: () => ({ stdout: 'x'.repeat(70 * 1024) }) });
    const { observation } = await invocation({ command: 'yes' }).execute(sandbox);
    assert.match(observation.content, /\n\[stdout truncated: only the first 64 KiB are shown\]\nexit code 0$/);
    assert.ok(observation.content.length < 66 * 1024);
  });

  it('validates its arguments as path: message', () => {
    const tool = bashTool();
    assert.deepEqual(tool.build({ command: '' }), { ok: false, error: 'command: must not be empty' });
    const tooLong = tool.build({ command: 'x', timeout_seconds: 601 });
    assert.ok(!tooLong.ok && tooLong.error.startsWith('timeout_seconds: '));
    const extra = tool.build({ command: 'x', cwd: '/' });
    assert.ok(!extra.ok && extra.error.includes('cwd'));
  });

  it('reports a refusal by praetor as denied, and other failures as errors', async () => {
    const sandbox = new FakeSandbox();
    sandbox.refusal = new PraetorError('policy-denied', 'sandbox is frozen by the guard');
    const denied = await invocation({ command: 'ls' }).execute(sandbox);
    assert.equal(denied.observation.denied, true);
    assert.equal(denied.observation.content, 'praetor refused this bash call: sandbox is frozen by the guard');

    sandbox.refusal = new PraetorError('sandbox-failure', 'helper crashed');
    const failed = await invocation({ command: 'ls' }).execute(sandbox);
    assert.deepEqual(failed.observation, { content: 'bash failed: helper crashed', isError: true, denied: false });
  });

  it('does not run once cancelled', async () => {
    const sandbox = new FakeSandbox({ exec: () => ({}) });
    const result = await invocation({ command: 'ls' }).execute(sandbox, AbortSignal.abort());
    assert.equal(sandbox.execs.length, 0);
    assert.equal(result.observation.isError, true);
  });

  it('declares a JSON schema derived from zod', () => {
    assert.deepEqual(bashTool().jsonSchema(), {
      type: 'object',
      properties: {
        command: { type: 'string', minLength: 1, description: 'The command line, run with `bash -c`.' },
        timeout_seconds: {
          type: 'number',
          exclusiveMinimum: 0,
          maximum: 600,
          description: 'Kill the command after this many seconds (default 120).',
        },
      },
      required: ['command'],
      additionalProperties: false,
    });
  });
});
