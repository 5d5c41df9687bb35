// The suite every ModelApi passes: what it renders (JSON and SSE) reads back into the same
// completion, text, reasoning, tool calls (ids, names, argument text), usage and the tokens its
// format carries; and an error event in a stream is a WireError.
import { describe, it } from 'node:test';
import * as assert from 'node:assert/strict';
import type { Completion } from '../gateway-wire.js';
import { WireError, type ModelApi } from './model-api.js';
import { readSse, sseText } from './sse.js';

const CALL = (id: string, name: string, args: string) => ({ id, type: 'function' as const, function: { name, arguments: args } });

export const CONFORMANCE_COMPLETIONS: Record<string, Completion> = {
  text: { message: { role: 'assistant', content: 'Hello, wörld: "quoted" \\ and\nnewline', tool_calls: [] }, usage: { prompt: 12, completion: 7 }, completionId: 'id-text', finishReason: null, tokens: null },
  'tool calls': {
    message: { role: 'assistant', content: 'Let me look.', tool_calls: [CALL('c-1', 'bash', '{"command":"ls -la \\"dir with spaces\\""}'), CALL('c-2', 'read_file', '{"path":"ünïcode.txt"}')] },
    usage: { prompt: 100, completion: 30 },
    completionId: 'id-calls',
    finishReason: null,
    tokens: null,
  },
  'calls only, with reasoning': {
    message: { role: 'assistant', content: null, reasoning: 'I should list the files first.', tool_calls: [CALL('c-3', 'bash', '{"command":"pwd"}')] },
    usage: { prompt: 5, completion: 9 },
    completionId: 'id-reason',
    finishReason: null,
    tokens: null,
  },
};

/** How much of a completion an API's wire format carries, for comparing a round trip. */
export interface ConformanceOptions {
  /** Token data the format has a place for. */
  readonly tokens: 'ids and logprobs' | 'logprobs' | 'none';
}

async function fold(api: ModelApi, completion: Completion, pieces: number): Promise<Completion> {
  const text = sseText(api.renderEvents(completion, { model: 'm', pieces, includeUsage: true }));
  // Through the real reader, one byte at a time: events split anywhere still read back whole.
  const bytes = new TextEncoder().encode(text);
  const body = new ReadableStream<Uint8Array>({
    start(controller) {
      for (const b of bytes) controller.enqueue(new Uint8Array([b]));
      controller.close();
    },
  });
  const f = api.streamFold();
  for await (const e of readSse(body)) f.add(e);
  assert.ok(f.done, 'the stream reads as finished');
  return f.result();
}

function comparable(c: Completion): object {
  return { content: c.message.content, reasoning: c.message.reasoning, calls: c.message.tool_calls, usage: c.usage, id: c.completionId };
}

export function runModelApiConformance(api: ModelApi, options: ConformanceOptions): void {
  describe(`${api.name} conformance`, () => {
    for (const [name, completion] of Object.entries(CONFORMANCE_COMPLETIONS)) {
      it(`${name}: JSON reads back as rendered`, () => {
        const back = api.parseResponse(JSON.parse(api.renderJson(completion, { model: 'm' })));
        assert.deepEqual(comparable(back), comparable(completion));
        assert.notEqual(back.finishReason, null, 'the natural finish reason is filled in');
      });
      for (const pieces of [1, 4]) {
        it(`${name}: SSE in ${pieces} piece(s) per part reads back as rendered`, async () => {
          const back = await fold(api, completion, pieces);
          assert.deepEqual(comparable(back), comparable(completion));
        });
      }
    }

    it('carries the token data its format has a place for', async () => {
      const tokens = { promptIds: [1, 2, 3], completionIds: [7, 8], logprobs: [{ token: 'Hi', logprob: -0.5 }, { token: '!', logprob: -1.25 }] };
      const completion = { ...CONFORMANCE_COMPLETIONS.text!, message: { role: 'assistant' as const, content: 'Hi!', tool_calls: [] }, tokens };
      const expected = options.tokens === 'none' ? null : options.tokens === 'logprobs' ? { logprobs: tokens.logprobs } : tokens;
      assert.deepEqual(api.parseResponse(JSON.parse(api.renderJson(completion, { model: 'm' }))).tokens, expected);
      assert.deepEqual((await fold(api, completion, 2)).tokens, expected);
    });

    it('a stream cut before its end is not done, and an error event is a WireError', () => {
      const events = api.renderEvents(CONFORMANCE_COMPLETIONS.text!, { model: 'm' });
      const cut = api.streamFold();
      for (const e of events.slice(0, -1)) cut.add(e);
      assert.equal(cut.done, false);
      if (api.name !== 'chat-completions') assert.equal(cut.complete, false);
      const failing = api.streamFold();
      const error = api.name === 'chat-completions'
        ? { data: JSON.stringify({ error: { message: 'overloaded' } }) }
        : { event: 'error', data: JSON.stringify({ type: 'error', error: { type: 'overloaded_error', message: 'overloaded' }, message: 'overloaded' }) };
      assert.throws(() => failing.add(error), (err: unknown) => err instanceof WireError && /overloaded/.test(err.message));
      assert.throws(() => api.streamFold().add({ data: 'not json' }), WireError);
    });

    it('says errors in its own body shape', () => {
      const body = JSON.stringify(api.errorBody('authentication', 'bad key'));
      assert.match(body, /bad key/);
      assert.match(body, /authentication_error/);
    });
  });
}
