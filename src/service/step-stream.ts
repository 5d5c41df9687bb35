// One step streamed as server-sent events while it runs: stdout and stderr as they come, the
// sandbox's alerts and guard actions, then `exit` (the ExecResult) or `error`. Shared by
// exec/stream and the one-shot run, so both speak the same events.
import { StringDecoder } from 'node:string_decoder';
import type { SSEStreamingApi } from 'hono/streaming';
import type { ExecOptions } from '../sandbox/backend.js';
import { errorBody } from './api-error.js';
import type { EventHub } from './event-hub.js';
import type { ExecResultView } from './sandbox-schemas.js';

export type StepTaps = Pick<ExecOptions, 'onStdout' | 'onStderr'>;

/** Writes events in order (each write waits for the one before); a failed write (client gone) is dropped. */
export function sseWriter(stream: SSEStreamingApi): { send: (event: string, data: unknown) => void; drained: () => Promise<void> } {
  let chain = Promise.resolve();
  return {
    send: (event, data) => {
      chain = chain.then(() => stream.writeSSE({ event, data: JSON.stringify(data) })).catch(() => undefined);
    },
    drained: () => chain,
  };
}

/** Runs the step through `run`, sending its events on `send`; resolves once the last event is queued. */
export async function streamStep(
  send: (event: string, data: unknown) => void,
  hub: EventHub,
  sandboxId: string,
  run: (taps: StepTaps) => Promise<ExecResultView>,
): Promise<void> {
  const text = { stdout: new StringDecoder('utf8'), stderr: new StringDecoder('utf8') };
  // Alerts and actions of this sandbox while the step runs (other concurrent steps' included,
  // each naming its step); the exit event lists this step's own.
  const off = hub.listen((e) => {
    if (e.sandbox === sandboxId && (e.type === 'alert' || e.type === 'action')) send(e.type, { ...e.data, step: e.step });
  });
  try {
    const result = await run({
      onStdout: (chunk) => send('stdout', { data: text.stdout.write(chunk) }),
      onStderr: (chunk) => send('stderr', { data: text.stderr.write(chunk) }),
    });
    send('exit', result);
  } catch (err) {
    send('error', errorBody('exec-failed', err instanceof Error ? err.message : String(err)).error);
  } finally {
    off();
  }
}
