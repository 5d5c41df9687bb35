// Server-sent events in and out. Reading uses eventsource-parser (SSE framing has enough corner
// cases, such as split lines, CRLF, comments and multi-line data, that hand-rolling it is not worth
// it); writing is one line per field, which is all the APIs the gateway speaks use.
import { createParser } from 'eventsource-parser';

export interface SseEvent {
  /** The `event:` field; absent for chat completions' plain `data:` events. */
  readonly event?: string;
  readonly data: string;
}

/** The events of an SSE body, as they arrive. */
export async function* readSse(body: ReadableStream<Uint8Array>): AsyncGenerator<SseEvent> {
  const queue: SseEvent[] = [];
  const parser = createParser({
    onEvent: (e) => queue.push(e.event === undefined ? { data: e.data } : { event: e.event, data: e.data }),
  });
  const decoder = new TextDecoder();
  const reader = body.getReader();
  try {
    for (;;) {
      const { value, done } = await reader.read();
      parser.feed(done ? decoder.decode() : decoder.decode(value, { stream: true }));
      while (queue.length > 0) yield queue.shift() as SseEvent;
      if (done) return;
    }
  } finally {
    await reader.cancel().catch(() => undefined);
  }
}

/** Events as SSE text. */
export function sseText(events: readonly SseEvent[]): string {
  return events.map((e) => `${e.event === undefined ? '' : `event: ${e.event}\n`}data: ${e.data}\n\n`).join('');
}

/** A JSON object of an event's data, or null when it is not one. */
export function eventJson(event: SseEvent): Record<string, unknown> | null {
  try {
    const value: unknown = JSON.parse(event.data);
    return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}
