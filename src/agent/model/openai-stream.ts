// Reads a streamed chat completion: SSE events parsed by eventsource-parser (a small, dependency-free,
// spec-following parser: SSE framing has enough corner cases, such as split lines, CRLF, comments and
// multi-line data, that hand-rolling it is not worth it), and deltas folded into one completion,
// tool-call argument fragments joined by their index.
import { createParser } from 'eventsource-parser';
import { formatIssues } from '../../core/schema-issues.js';
import type { TokenUsage } from '../policies/policy.js';
import { ModelError, parseToolArguments, type ChatCompletion } from './model-client.js';
import { ChunkSchema, type Chunk } from './openai-wire.js';

interface PartialCall {
  id: string;
  name: string;
  arguments: string;
}

/** Folds stream chunks into one completion. */
export class CompletionAccumulator {
  private id = '';
  private text = '';
  private sawText = false;
  private readonly calls = new Map<number, PartialCall>();
  private finishReason: string | null = null;
  private usage: TokenUsage | null = null;

  add(chunk: Chunk): void {
    if (chunk.id != null && this.id === '') this.id = chunk.id;
    if (chunk.usage !== null) this.usage = chunk.usage;
    // n is always 1 in our requests: the first choice is the completion.
    const choice = chunk.choices[0];
    if (choice === undefined) return;
    if (choice.finish_reason != null) this.finishReason = choice.finish_reason;
    const delta = choice.delta;
    if (delta == null) return;
    if (delta.content != null) {
      this.text += delta.content;
      this.sawText = true;
    }
    for (const fragment of delta.tool_calls ?? []) {
      const call = this.calls.get(fragment.index) ?? { id: '', name: '', arguments: '' };
      if (fragment.id != null && call.id === '') call.id = fragment.id;
      const name = fragment.function?.name;
      // The name comes whole in the first fragment; a server that repeats it must not double it.
      if (name != null && name !== call.name) call.name = call.name === '' ? name : call.name + name;
      call.arguments += fragment.function?.arguments ?? '';
      this.calls.set(fragment.index, call);
    }
  }

  get finished(): boolean {
    return this.finishReason !== null;
  }

  result(): ChatCompletion {
    const toolCalls = [...this.calls.entries()]
      .sort(([a], [b]) => a - b)
      .map(([index, c]) => parseToolArguments(c.id === '' ? `call_${index}` : c.id, c.name, c.arguments));
    return {
      id: this.id,
      text: this.sawText ? this.text : null,
      toolCalls,
      finishReason: this.finishReason,
      usage: this.usage,
    };
  }
}

/** Reads an SSE body to `[DONE]` (or its end, once a finish reason was seen) into a completion. */
export async function readCompletionStream(body: ReadableStream<Uint8Array>): Promise<ChatCompletion> {
  const accumulator = new CompletionAccumulator();
  // Set from the parser's callback: a holder, as control flow analysis does not see into callbacks.
  const state: { done: boolean; failure: ModelError | null } = { done: false, failure: null };
  const parser = createParser({
    onEvent(event) {
      if (state.done || state.failure !== null) return;
      if (event.data.trim() === '[DONE]') {
        state.done = true;
        return;
      }
      let json: unknown;
      try {
        json = JSON.parse(event.data);
      } catch (err) {
        state.failure = new ModelError('bad-json', `stream event is not JSON: ${(err as Error).message}`, null, { cause: err });
        return;
      }
      const chunk = ChunkSchema.safeParse(json);
      if (!chunk.success) state.failure = new ModelError('bad-response', `unexpected stream chunk: ${formatIssues(chunk.error.issues).join('; ')}`);
      else if (chunk.data.error != null) state.failure = new ModelError('http', `server error in stream: ${chunk.data.error.message}`);
      else accumulator.add(chunk.data);
    },
  });
  const decoder = new TextDecoder();
  const reader = body.getReader();
  try {
    while (!state.done && state.failure === null) {
      const { value, done: ended } = await reader.read();
      if (ended) break;
      parser.feed(decoder.decode(value, { stream: true }));
    }
    parser.feed(decoder.decode());
  } finally {
    // Stop the download once [DONE] or a failure was seen; a server may keep the socket open.
    await reader.cancel().catch(() => undefined);
  }
  if (state.failure !== null) throw state.failure;
  if (!state.done && !accumulator.finished) throw new ModelError('bad-response', 'stream ended before the completion finished');
  return accumulator.result();
}
