import { describe, it, afterEach } from 'node:test';
import * as assert from 'node:assert/strict';
import type { Sandbox } from '../../sandbox/backend.js';
import { startFakeOpenAiServer, type FakeOpenAiServer, type FakeResponse } from '../../testing/fake-openai-server.js';
import { OpenAiClient } from '../model/openai-client.js';
import { FakeSandbox } from '../../testing/fake-sandbox.js';
import { ToolRegistry } from '../tools/tool-registry.js';
import { LlmPolicy, type LlmPolicyOptions } from './llm-policy.js';
import type { AgentPolicy, HistoryEntry, PolicyDecision } from './policy.js';

/** The smallest loop: decide, run the call, record; what the real loop does, minus episodes. */
async function runEpisode(policy: AgentPolicy, registry: ToolRegistry, sandbox: Sandbox, instruction: string, maxTurns = 10) {
  const history: HistoryEntry[] = [];
  const decisions: PolicyDecision[] = [];
  for (let i = 0; i < maxTurns; i++) {
    const decision = await policy.next({ instruction, history });
    decisions.push(decision);
    if (decision.kind === 'done') break;
    if (decision.kind === 'message') history.push({ call: null, text: decision.text, observation: null });
    else {
      const result = await registry.run(decision.call, sandbox);
      history.push({ call: decision.call, text: decision.text ?? null, observation: result.observation });
    }
  }
  return { history, decisions };
}

describe('LlmPolicy', () => {
  let server: FakeOpenAiServer | null = null;
  afterEach(async () => {
    await server?.close();
    server = null;
  });
  const registry = new ToolRegistry();
  async function policyFor(script: FakeResponse[], options: Partial<LlmPolicyOptions> = {}): Promise<LlmPolicy> {
    server = await startFakeOpenAiServer(script);
    const client = new OpenAiClient({ baseUrl: server.baseUrl, model: 'fake-model', timeoutMs: 5000 });
    return new LlmPolicy({ client, tools: registry.declarations(), ...options });
  }

  for (const stream of [false, true]) {
    it(`runs an episode of 3 turns end to end (${stream ? 'streaming' : 'non-streaming'})`, async () => {
      const policy = await policyFor(
        [
          { text: 'Writing the file.', toolCalls: [{ id: 'w1', name: 'write_file', arguments: { path: 'hello.txt', content: 'hi\n' } }] },
          { toolCalls: [{ id: 'b1', name: 'bash', arguments: { command: 'cat hello.txt' } }], usage: { prompt: 20, completion: 6 } },
          { text: 'Done: hello.txt says hi.', usage: { prompt: 30, completion: 7 } },
        ],
        { stream },
      );
      const sandbox = new FakeSandbox({ exec: (argv) => ({ stdout: argv[2] === 'cat hello.txt' ? 'hi\n' : '' }) });
      const { history, decisions } = await runEpisode(policy, registry, sandbox, 'Write hello.txt and show it.');

      assert.deepEqual(
        decisions.map((d) => d.kind),
        ['tool-call', 'tool-call', 'done'],
      );
      assert.deepEqual(decisions[0], {
        kind: 'tool-call',
        call: { id: 'w1', name: 'write_file', arguments: { path: 'hello.txt', content: 'hi\n' } },
        text: 'Writing the file.',
        usage: { prompt: 10, completion: 5 },
        turnId: 'turn-1', // own turn ids: servers reuse theirs
      });
      assert.deepEqual(decisions[2], { kind: 'done', text: 'Done: hello.txt says hi.', answer: 'Done: hello.txt says hi.', turnId: 'turn-3', usage: { prompt: 30, completion: 7 } }, 'the final answer, to be stored as the last step');
      assert.equal(sandbox.files.get('/workspace/hello.txt')?.toString(), 'hi\n');
      assert.equal(history[1]?.observation?.content, 'hi\nexit code 0');
      assert.deepEqual(policy.usage(), { prompt: 60, completion: 18 });

      const requests = server?.requests ?? [];
      assert.equal(requests.length, 3);
      assert.equal(requests[0]?.body.stream, stream ? true : undefined);
      assert.deepEqual(
        (requests[0]?.body.tools as { function: { name: string } }[]).map((t) => t.function.name),
        registry.names(),
      );
      const third = requests[2]?.body.messages as Record<string, unknown>[];
      assert.equal(third[0]?.role, 'system');
      assert.match(third[0]?.content as string, /\/workspace/);
      assert.deepEqual(third.slice(1), [
        { role: 'user', content: 'Write hello.txt and show it.' },
        {
          role: 'assistant',
          content: 'Writing the file.',
          tool_calls: [{ id: 'w1', type: 'function', function: { name: 'write_file', arguments: '{"path":"hello.txt","content":"hi\\n"}' } }],
        },
        { role: 'tool', tool_call_id: 'w1', content: 'wrote 3 bytes to /workspace/hello.txt' },
        { role: 'assistant', content: null, tool_calls: [{ id: 'b1', type: 'function', function: { name: 'bash', arguments: '{"command":"cat hello.txt"}' } }] },
        { role: 'tool', tool_call_id: 'b1', content: 'hi\nexit code 0' },
      ]);
    });
  }

  it('sends broken arguments back to the model as a tool error and uses its next answer', async () => {
    const policy = await policyFor([
      { toolCalls: [{ id: 'x1', name: 'bash', arguments: '{"command": "ls' }] },
      { toolCalls: [{ id: 'x2', name: 'bash', arguments: { command: 'ls' } }] },
    ]);
    const decision = await policy.next({ instruction: 'list', history: [] });
    assert.equal(decision.kind === 'tool-call' && decision.call.id, 'x2');
    assert.deepEqual(decision.usage, { prompt: 20, completion: 10 });
    const retry = server?.requests[1]?.body.messages as Record<string, unknown>[];
    assert.deepEqual(retry.at(-2), {
      role: 'assistant',
      content: null,
      tool_calls: [{ id: 'x1', type: 'function', function: { name: 'bash', arguments: '{"command": "ls' } }],
    });
    assert.match((retry.at(-1) as { content: string }).content, /^error: arguments are not valid JSON: .*The arguments were: \{"command": "ls/s);
  });

  it('gives up after repeated broken arguments', async () => {
    const broken: FakeResponse = { toolCalls: [{ name: 'bash', arguments: 'not json' }] };
    const policy = await policyFor([broken, broken], { maxRepairs: 2 });
    const decision = await policy.next({ instruction: 'x', history: [] });
    assert.deepEqual(decision, { kind: 'done', text: 'model: invalid tool-call arguments 2 times in a row', usage: { prompt: 20, completion: 10 } });
  });

  it('hands out the calls of one turn one at a time, with the same turn id', async () => {
    const policy = await policyFor([
      { toolCalls: [{ id: 'p1', name: 'list_dir', arguments: {} }, { id: 'p2', name: 'bash', arguments: { command: 'pwd' } }] },
      { text: 'ok' },
    ]);
    const sandbox = new FakeSandbox({ exec: () => ({ stdout: 'x\n' }) });
    const { decisions, history } = await runEpisode(policy, registry, sandbox, 'look around');
    assert.deepEqual(
      decisions.map((d) => (d.kind === 'tool-call' ? `${d.call.id}@${d.turnId ?? ''}` : d.kind)),
      ['p1@turn-1', 'p2@turn-1', 'done'],
    );
    assert.equal(server?.requests.length, 2, 'the second call came from the queue, not the model');
    assert.equal(history.length, 2);
  });

  describe('budgets', () => {
    const call: FakeResponse = { toolCalls: [{ name: 'bash', arguments: { command: 'true' } }], usage: { prompt: 100, completion: 50 } };

    it('ends at maxSteps', async () => {
      const policy = await policyFor([call, call, call], { budgets: { maxSteps: 2 } });
      const { decisions } = await runEpisode(policy, registry, new FakeSandbox({ exec: () => ({}) }), 'loop');
      assert.deepEqual(decisions.at(-1), { kind: 'done', text: 'budget: steps (2 of 2)' });
      assert.equal(server?.requests.length, 2);
    });

    it('ends once maxTokens is used up', async () => {
      const policy = await policyFor([call, call, call], { budgets: { maxTokens: 200 } });
      const { decisions } = await runEpisode(policy, registry, new FakeSandbox({ exec: () => ({}) }), 'loop');
      assert.deepEqual(decisions.at(-1), { kind: 'done', text: 'budget: tokens (300 of 200)' });
      assert.equal(decisions.length, 3);
      assert.equal(server?.requests.length, 2, 'no model call once the budget is spent');
    });

    it('ends at maxSeconds, cutting a model call in flight', async () => {
      const policy = await policyFor([{ ...call, delayMs: 3000 }], { budgets: { maxSeconds: 0.2 } });
      const started = Date.now();
      const decision = await policy.next({ instruction: 'slow', history: [] });
      assert.equal(decision.kind, 'done');
      assert.match(decision.kind === 'done' ? (decision.text ?? '') : '', /^budget: seconds \(/);
      assert.ok(Date.now() - started < 2000);
    });

    it('ends at maxSeconds before asking, by the clock it is given', async () => {
      let now = 1_000_000;
      const policy = await policyFor([call, call], { budgets: { maxSeconds: 60 }, now: () => now });
      const first = await policy.next({ instruction: 'x', history: [] });
      assert.equal(first.kind, 'tool-call');
      now += 61_000;
      const history: HistoryEntry[] = [{ call: first.kind === 'tool-call' ? first.call : null, text: null, observation: null }];
      assert.deepEqual(await policy.next({ instruction: 'x', history }), { kind: 'done', text: 'budget: seconds (61.0 of 60)' });
      assert.equal(server?.requests.length, 1);
    });

    it('lets the caller cancel: that is an error, not a budget end', async () => {
      const policy = await policyFor([{ ...call, delayMs: 3000 }], { budgets: { maxSeconds: 100 } });
      await assert.rejects(policy.next({ instruction: 'x', history: [] }, AbortSignal.timeout(50)), { name: 'ModelError', code: 'aborted' });
    });
  });
});

it('keeps tool-call ids unique across turns when the server repeats them', async () => {
  const server = await startFakeOpenAiServer([
    { toolCalls: [{ id: 'call_0', name: 'bash', arguments: { command: 'true' } }] },
    { toolCalls: [{ id: 'call_0', name: 'bash', arguments: { command: 'true' } }] },
    { text: 'done' },
  ]);
  try {
    const policy = new LlmPolicy({ client: new OpenAiClient({ baseUrl: server.baseUrl, model: 'm' }), tools: [] });
    const history: HistoryEntry[] = [];
    const ids: string[] = [];
    for (let i = 0; i < 2; i++) {
      const d = await policy.next({ instruction: 'x', history });
      assert.equal(d.kind, 'tool-call');
      if (d.kind !== 'tool-call') return;
      ids.push(`${d.call.id}@${d.turnId ?? ''}`);
      history.push({ call: d.call, text: null, observation: { content: '', isError: false, denied: false } });
    }
    assert.deepEqual(ids, ['call_0@turn-1', 'call_0-2@turn-2']);
  } finally {
    await server.close();
  }
});
