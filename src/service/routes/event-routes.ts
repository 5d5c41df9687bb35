// The live event stream: alerts, guard actions, network decisions, steps and sandbox lifecycle,
// for one sandbox or every one the key may see, as server-sent events.
import { createRoute, z } from '@hono/zod-openapi';
import { streamSSE } from 'hono/streaming';
import { requireScope, seesAll, type Principal } from '../auth.js';
import { notFound } from '../api-error.js';
import { errors, SECURITY, SSE_CONTENT, type ServiceApp, type ServiceDeps } from '../route-kit.js';
import { EVENT_TYPES, EventTypeSchema, type ServiceEvent } from '../event-hub.js';

const KEEPALIVE_MS = 15_000;

const EventsQuery = z.object({
  sandbox: z.string().min(1).max(128).optional().describe('Only this sandbox (an API sandbox or an environment\'s).'),
  types: z
    .string()
    .optional()
    .transform((value, ctx) => {
      if (value === undefined || value === '') return [...EVENT_TYPES];
      const parsed = z.array(EventTypeSchema).safeParse(value.split(','));
      if (!parsed.success) {
        ctx.addIssue({ code: 'custom', message: `a comma-separated list of ${EVENT_TYPES.join(', ')}` });
        return z.NEVER;
      }
      return parsed.data;
    })
    .describe(`Comma-separated: ${EVENT_TYPES.join(',')} (all when absent).`),
});

const events = createRoute({
  method: 'get',
  path: '/v1/events',
  tags: ['events'],
  security: SECURITY,
  middleware: [requireScope('events')],
  summary: 'Live events: each `event: <type>` with `data: {type, sandbox, step, episode?, time, data}`',
  request: { query: EventsQuery },
  responses: { 200: { description: 'Server-sent events (a `dropped` event says how many a slow reader lost)', content: SSE_CONTENT }, ...errors(400, 403, 404) },
});

export function registerEventRoutes(app: ServiceApp, deps: ServiceDeps): void {
  const { sandboxes, envs, hub } = deps;
  const ownerOf = (e: ServiceEvent): string | undefined =>
    sandboxes.ownerOf(e.sandbox) ?? envs.ownerOfSandbox(e.sandbox) ?? (typeof e.data.owner === 'string' ? e.data.owner : undefined);
  const visible = (who: Principal, e: ServiceEvent): boolean => seesAll(who) || ownerOf(e) === who.keyId;

  app.openapi(events, (c) => {
    const who = c.get('principal');
    const { sandbox, types } = c.req.valid('query');
    if (sandbox !== undefined) {
      const owner = sandboxes.ownerOf(sandbox) ?? envs.ownerOfSandbox(sandbox);
      if (owner === undefined || (!seesAll(who) && owner !== who.keyId)) throw notFound(`sandbox ${sandbox}`);
    }
    const wanted = new Set(types);
    const sub = hub.subscribe((e) => wanted.has(e.type) && (sandbox === undefined || e.sandbox === sandbox) && visible(who, e));
    return streamSSE(c, async (stream) => {
      stream.onAbort(() => sub.close());
      try {
        await stream.write(': praetor events\n\n');
        for (;;) {
          const batch = await sub.next(KEEPALIVE_MS);
          if (batch === null || stream.aborted) break;
          if (sub.dropped > 0) {
            await stream.writeSSE({ event: 'dropped', data: JSON.stringify({ count: sub.dropped }) });
            sub.dropped = 0;
          }
          if (batch.length === 0) await stream.write(': keepalive\n\n');
          for (const e of batch) await stream.writeSSE({ event: e.type, data: JSON.stringify(e) });
        }
      } catch {
        // the client went away mid-write
      } finally {
        sub.close();
      }
    });
  });
}
