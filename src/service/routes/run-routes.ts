// One-shot runs: a sandbox made for one command, the command streamed as its step, and the
// sandbox destroyed by the daemon once the exit is sent, or at once when the client goes away.
// The whole of `praetor run` in one round trip: the client waits for neither a create nor a destroy.
import { createRoute } from '@hono/zod-openapi';
import { streamSSE } from 'hono/streaming';
import { requireScope } from '../auth.js';
import { errors, jsonBody, SECURITY, SSE_CONTENT, type ServiceApp, type ServiceDeps } from '../route-kit.js';
import { RunBodySchema, SandboxCreateSchema } from '../sandbox-schemas.js';
import { StringDecoder } from 'node:string_decoder';
import { sseWriter, streamStep, type StepTaps } from '../step-stream.js';
import { alertLine, type AlertLineFields } from '../../core/alert-line.js';

const run = createRoute({
  method: 'post',
  path: '/v1/run',
  tags: ['exec'],
  security: SECURITY,
  middleware: [requireScope('sandboxes')],
  summary:
    'Run one command in a sandbox made for it, streaming events: sandbox (its id), stdout and stderr (data: UTF-8 text, bytes: the exact bytes in base64), alert (with line: what the CLI prints), action, then exit (an ExecResult) or error; the daemon destroys the sandbox after',
  request: { body: jsonBody(RunBodySchema) },
  responses: { 200: { description: 'Server-sent events', content: SSE_CONTENT }, ...errors(400, 403, 413, 415, 429, 503) },
});

export function registerRunRoutes(app: ServiceApp, deps: ServiceDeps): void {
  const { sandboxes, hub } = deps;
  app.openapi(run, async (c) => {
    const who = c.get('principal');
    const { sandbox: options, ...exec } = c.req.valid('json');
    // Before the stream starts: a refused create (400, 403, 429, 503) answers as JSON.
    const record = await sandboxes.create(who, options ?? SandboxCreateSchema.parse({}));
    return streamSSE(c, async (stream) => {
      // A client that goes away mid-step takes its sandbox with it: the destroy kills the step.
      stream.onAbort(() => sandboxes.discard(record));
      try {
        const writer = sseWriter(stream);
        const { drained } = writer;
        // Alerts carry their CLI line ready-made, so every client prints the same text.
        const send = (event: string, data: unknown): void => writer.send(event, event === 'alert' ? { ...(data as AlertLineFields), line: alertLine(data as AlertLineFields) } : data);
        send('sandbox', { id: record.id });
        // Output events carry the chunk's exact bytes too (`bytes`, base64) beside its UTF-8 text, so a
        // client can write what the command wrote, binary included, as the in-process run does.
        const text = { stdout: new StringDecoder('utf8'), stderr: new StringDecoder('utf8') };
        const taps: StepTaps = {
          onStdout: (chunk) => send('stdout', { data: text.stdout.write(chunk), bytes: chunk.toString('base64') }),
          onStderr: (chunk) => send('stderr', { data: text.stderr.write(chunk), bytes: chunk.toString('base64') }),
        };
        await streamStep(send, hub, record.id, () => sandboxes.exec(who, record.id, exec, taps));
        await drained();
      } finally {
        sandboxes.discard(record);
      }
    });
  });
}
