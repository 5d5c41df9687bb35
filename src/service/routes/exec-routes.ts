// Execs: one command as a step (JSON, or streamed as server-sent events while it runs) and
// persistent shell sessions whose commands are steps too.
import { createRoute } from '@hono/zod-openapi';
import { streamSSE } from 'hono/streaming';
import { requireScope } from '../auth.js';
import { errors, json, jsonBody, SECURITY, SSE_CONTENT, type ServiceApp, type ServiceDeps } from '../route-kit.js';
import { DEFAULT_EXEC_TIMEOUT_MS, ExecBodySchema, ExecResultSchema, SandboxIdParams, SessionCreateSchema, SessionExecSchema, SessionParams, SessionSchema } from '../sandbox-schemas.js';
import { sseWriter, streamStep } from '../step-stream.js';
import { sandboxPath } from '../sandbox-files.js';

const tags = ['exec'];
const middleware = [requireScope('sandboxes')];

const exec = createRoute({
  method: 'post',
  path: '/v1/sandboxes/{id}/exec',
  tags,
  security: SECURITY,
  middleware,
  summary: 'Run one command as a step; the result carries the alerts it raised',
  request: { params: SandboxIdParams, body: jsonBody(ExecBodySchema) },
  responses: { 200: json(ExecResultSchema, 'How the step ended'), ...errors(400, 403, 404, 409, 413, 415) },
});

const execStream = createRoute({
  method: 'post',
  path: '/v1/sandboxes/{id}/exec/stream',
  tags,
  security: SECURITY,
  middleware,
  summary: 'Run one command as a step, streaming events: stdout, stderr, alert, action, then exit (an ExecResult) or error',
  request: { params: SandboxIdParams, body: jsonBody(ExecBodySchema) },
  responses: { 200: { description: 'Server-sent events', content: SSE_CONTENT }, ...errors(400, 403, 404, 409, 413, 415) },
});

const openSession = createRoute({
  method: 'post',
  path: '/v1/sandboxes/{id}/sessions',
  tags,
  security: SECURITY,
  middleware,
  summary: 'Open a shell session (cwd, exported variables and functions persist between its commands)',
  request: { params: SandboxIdParams, body: jsonBody(SessionCreateSchema, false) },
  responses: { 201: json(SessionSchema, 'The session'), ...errors(400, 403, 404, 429) },
});

const sessionExec = createRoute({
  method: 'post',
  path: '/v1/sandboxes/{id}/sessions/{session}/exec',
  tags,
  security: SECURITY,
  middleware,
  summary: 'Run one command in the session, as a step of its own',
  request: { params: SessionParams, body: jsonBody(SessionExecSchema) },
  responses: { 200: json(ExecResultSchema, 'How the step ended'), ...errors(400, 403, 404, 409, 415) },
});

const closeSession = createRoute({
  method: 'delete',
  path: '/v1/sandboxes/{id}/sessions/{session}',
  tags,
  security: SECURITY,
  middleware,
  summary: 'Forget a session (processes it started keep running)',
  request: { params: SessionParams },
  responses: { 204: { description: 'Closed' }, ...errors(403, 404) },
});

export function registerExecRoutes(app: ServiceApp, deps: ServiceDeps): void {
  const { sandboxes, hub } = deps;
  app.openapi(exec, async (c) => {
    const result = await sandboxes.exec(c.get('principal'), c.req.valid('param').id, c.req.valid('json'));
    c.set('step', result.step);
    return c.json(result, 200);
  });

  app.openapi(execStream, (c) => {
    const who = c.get('principal');
    const { id } = c.req.valid('param');
    const body = c.req.valid('json');
    sandboxes.usable(who, id); // 404 or 409 as JSON, before the stream starts
    return streamSSE(c, async (stream) => {
      const { send, drained } = sseWriter(stream);
      // a client that goes away mid-step takes its step with it: nobody is left to read the result
      const gone = new AbortController();
      stream.onAbort(() => gone.abort());
      await streamStep(send, hub, id, (taps) => sandboxes.exec(who, id, body, { ...taps, signal: gone.signal }));
      await drained();
    });
  });

  app.openapi(openSession, (c) => {
    const record = sandboxes.usable(c.get('principal'), c.req.valid('param').id);
    const body = c.req.valid('json');
    const session = record.sessions.open({ cwd: body.cwd === undefined ? '/workspace' : sandboxPath(body.cwd), env: { ...record.options.env, ...body.env } });
    return c.json({ session: session.id }, 201);
  });

  app.openapi(sessionExec, async (c) => {
    const { id, session } = c.req.valid('param');
    const record = sandboxes.usable(c.get('principal'), id);
    const shell = record.sessions.get(session);
    const body = c.req.valid('json');
    const result = await sandboxes.step(record, 'session', (sandbox) =>
      shell.run(sandbox, body.command, { timeoutMs: body.timeoutMs ?? DEFAULT_EXEC_TIMEOUT_MS, maxOutputBytes: body.maxOutputBytes ?? 2 ** 20, env: record.options.env }),
    );
    c.set('step', result.step);
    return c.json(result, 200);
  });

  app.openapi(closeSession, (c) => {
    const { id, session } = c.req.valid('param');
    sandboxes.get(c.get('principal'), id).sessions.close(session);
    return c.body(null, 204);
  });
}
