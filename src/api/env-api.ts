// The environment protocol over HTTP, for trainers in any language: make, reset, step, close.
// Built by one function and tested in-process with `app.request()`; one handler turns praetor's
// typed errors into statuses.
import { Hono } from 'hono';
import { HTTPException } from 'hono/http-exception';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { PraetorError, errorMessage, type PraetorErrorCode } from '../core/errors.js';
import type { RolloutEnvironment } from '../episode/environment.js';

function statusFor(code: PraetorErrorCode): ContentfulStatusCode {
  switch (code) {
    case 'usage':
    case 'invalid-config':
      return 400;
    case 'sandbox-not-found':
      return 404;
    case 'policy-denied':
      return 403;
    case 'exec-timeout':
      return 504;
    case 'host-unsupported':
    case 'sandbox-failure':
      return 503;
    case 'internal':
      return 500;
  }
}

async function jsonBody(c: { req: { json: () => Promise<unknown> } }): Promise<unknown> {
  try {
    return await c.req.json();
  } catch {
    throw new PraetorError('usage', 'the body must be JSON');
  }
}

export function createEnvApi(env: RolloutEnvironment): Hono {
  const app = new Hono();
  app.post('/v1/envs', async (c) => {
    const body = (await jsonBody(c)) as { task?: unknown };
    if (typeof body !== 'object' || body === null || typeof body.task !== 'object' || body.task === null) {
      throw new PraetorError('usage', 'expected { "task": { ... } }');
    }
    return c.json({ id: env.make(body.task as Record<string, unknown>) }, 201);
  });
  app.post('/v1/envs/:id/reset', async (c) => c.json(await env.reset(c.req.param('id'))));
  app.post('/v1/envs/:id/step', async (c) => {
    const body = (await jsonBody(c)) as { action?: unknown };
    return c.json(await env.step(c.req.param('id'), typeof body === 'object' && body !== null ? body.action : undefined));
  });
  app.delete('/v1/envs/:id', async (c) => {
    await env.close(c.req.param('id'));
    return c.body(null, 204);
  });
  app.onError((err, c) => {
    if (err instanceof HTTPException) return err.getResponse();
    if (err instanceof PraetorError) return c.json({ error: { code: err.code, message: err.message } }, statusFor(err.code));
    return c.json({ error: { code: 'internal', message: errorMessage(err) } }, 500);
  });
  return app;
}
