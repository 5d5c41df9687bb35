import { describe, it } from 'node:test';
import * as assert from 'node:assert/strict';
import { ToolRegistry } from '../tools/tool-registry.js';
import type { HistoryEntry } from './policy.js';
import { ScriptedPolicy, loadScript } from './scripted-policy.js';

const yamlScript = `# set up and check
- tool: write_file
  args: { path: hello.txt, content: "hi\\n" }
- tool: bash
  args:
    command: cat hello.txt
  id: check
`;

describe('loadScript', () => {
  it('loads a YAML list of calls', () => {
    assert.deepEqual(loadScript(yamlScript, 'demo.yaml', new ToolRegistry()), {
      steps: [
        { tool: 'write_file', args: { path: 'hello.txt', content: 'hi\n' } },
        { tool: 'bash', args: { command: 'cat hello.txt' }, id: 'check' },
      ],
      errors: [],
    });
  });

  it('loads JSONL, by name or by its first line, skipping blank lines', () => {
    const text = '{"tool":"list_dir"}\n\n{"tool":"bash","args":{"command":"ls"}}\n';
    const expected = { steps: [{ tool: 'list_dir', args: {} }, { tool: 'bash', args: { command: 'ls' } }], errors: [] };
    assert.deepEqual(loadScript(text, 'run.jsonl'), expected);
    assert.deepEqual(loadScript(text, 'run.txt'), expected);
  });

  it('reports bad YAML steps as file:line: [index].path: message', () => {
    const text = '- tool: bash\n  args: { command: ls }\n- tool: 3\n  argz: {}\n- args: []\n';
    const { steps, errors } = loadScript(text, 'bad.yaml');
    assert.deepEqual(steps, []);
    assert.deepEqual(errors, [
      'bad.yaml:3: [1].tool: Invalid input: expected string, received number',
      'bad.yaml:3: [1]: Unrecognized key: "argz"',
      'bad.yaml:5: [2].tool: Invalid input: expected string, received undefined',
      'bad.yaml:5: [2].args: Invalid input: expected record, received array',
    ]);
  });

  it('reports YAML syntax errors and a document that is not a list', () => {
    const syntax = loadScript('- tool: bash\n  args: { command: "ls\n', 'broken.yaml');
    assert.equal(syntax.errors.length > 0, true);
    assert.match(syntax.errors[0] ?? '', /^broken\.yaml:\d+: /);
    assert.deepEqual(loadScript('tool: bash\n', 'map.yaml').errors, ['map.yaml:1: expected a list of steps (- tool: NAME, args: {...})']);
  });

  it('reports bad JSONL lines with their line numbers', () => {
    const text = '{"tool":"bash","args":{"command":"ls"}}\n{"tool":\n{"tool":"bash","args":{"command":1}}\n';
    const { errors } = loadScript(text, 'bad.jsonl');
    assert.equal(errors.length, 1);
    assert.match(errors[0] ?? '', /^bad\.jsonl:2: not valid JSON: /);
    const registry = new ToolRegistry();
    assert.deepEqual(loadScript('{"tool":"bash","args":{"command":1}}\n{"tool":"rm"}\n', 'bad.jsonl', registry).errors, [
      'bad.jsonl:1: invalid arguments for bash: command: Invalid input: expected string, received number',
      'bad.jsonl:2: unknown tool "rm"; the tools are: bash, read_file, write_file, edit_file, list_dir, grep',
    ]);
  });
});

describe('ScriptedPolicy', () => {
  it('returns the calls in order, then done', async () => {
    const policy = new ScriptedPolicy(loadScript(yamlScript, 'demo.yaml').steps);
    const history: HistoryEntry[] = [];
    const first = await policy.next({ instruction: 'x', history });
    assert.deepEqual(first, { kind: 'tool-call', call: { id: 'call_1', name: 'write_file', arguments: { path: 'hello.txt', content: 'hi\n' } } });
    history.push({ call: first.kind === 'tool-call' ? first.call : null, text: null, observation: null });
    history.push({ call: null, text: 'a message in between', observation: null });
    const second = await policy.next({ instruction: 'x', history });
    assert.equal(second.kind === 'tool-call' && second.call.id, 'check');
    history.push({ call: second.kind === 'tool-call' ? second.call : null, text: null, observation: null });
    assert.deepEqual(await policy.next({ instruction: 'x', history }), { kind: 'done', text: 'script finished after 2 calls' });
  });
});
