// The trainer queue over HTTP, for the service to mount under its own auth (app.route(prefix, ...)):
// list the waiting requests, take the next one (long poll), answer or fail one. Bodies are checked
// with the same zod schemas as the library calls; errors are {error: {code, message}}.
import { Hono } from 'hono';
import { z } from 'zod';
import { formatIssues } from '../../core/schema-issues.js';
import { TrainerQueueError, type TrainerQueue } from './trainer-queue.js';

/** Longest a take may wait, so an idle poll does not hold a connection forever. */
export const MAX_TAKE_WAIT_MS = 60_000;

export const TakeQuerySchema = z.strictObject({
  waitMs: z.coerce.number().int().min(0).max(MAX_TAKE_WAIT_MS).default(0).describe('How long to wait for a request when none is waiting.'),
});

export const FailBodySchema = z.strictObject({ message: z.string().min(1).max(2000) });

type ErrorStatus = 400 | 404;

function errorJson(code: string, message: string): { error: { code: string; message: string } } {
  return { error: { code, message } };
}

export function trainerRoutes(queue: TrainerQueue): Hono {
  const app = new Hono();
  const fail = (err: unknown): { status: ErrorStatus; body: ReturnType<typeof errorJson> } => {
    if (err instanceof TrainerQueueError) return { status: err.reason === 'unknown-request' ? 404 : 400, body: errorJson(err.reason, err.message) };
    throw err;
  };
  const body = async (req: Request): Promise<unknown> => {
    try {
      return (await req.json()) as unknown;
    } catch {
      return undefined;
    }
  };

  app.get('/requests', (c) => c.json({ requests: queue.pending() }));

  app.post('/requests/take', async (c) => {
    const query = TakeQuerySchema.safeParse(c.req.query());
    if (!query.success) return c.json(errorJson('invalid-request', formatIssues(query.error.issues).join('; ')), 400);
    const request = await queue.take({ timeoutMs: query.data.waitMs, signal: c.req.raw.signal });
    return request === null ? c.body(null, 204) : c.json({ request });
  });

  app.post('/requests/:id/answer', async (c) => {
    const answer = await body(c.req.raw);
    if (answer === undefined) return c.json(errorJson('invalid-answer', 'the body is not JSON'), 400);
    try {
      queue.answer(c.req.param('id'), answer);
      return c.body(null, 204);
    } catch (err) {
      const f = fail(err);
      return c.json(f.body, f.status);
    }
  });

  app.post('/requests/:id/fail', async (c) => {
    const parsed = FailBodySchema.safeParse(await body(c.req.raw));
    if (!parsed.success) return c.json(errorJson('invalid-request', formatIssues(parsed.error.issues).join('; ')), 400);
    try {
      queue.fail(c.req.param('id'), parsed.data.message);
      return c.body(null, 204);
    } catch (err) {
      const f = fail(err);
      return c.json(f.body, f.status);
    }
  });
  return app;
}
