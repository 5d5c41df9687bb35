// Liveness, readiness, Prometheus metrics, the OpenAPI document and the API page: no key needed
// (they reveal no sandbox, key or episode).
import { createRoute, z } from '@hono/zod-openapi';
import { json, type ServiceApp, type ServiceDeps } from '../route-kit.js';
import { renderApiPage } from '../api-page.js';

const tags = ['service'];
const Health = z.object({ ok: z.boolean(), problems: z.array(z.string()).optional() }).openapi('Health');

const healthz = createRoute({ method: 'get', path: '/healthz', tags, summary: 'The daemon answers', responses: { 200: json(Health, 'Alive') } });
const readyz = createRoute({
  method: 'get',
  path: '/readyz',
  tags,
  summary: 'Guard, backend and store are up',
  responses: { 200: json(Health, 'Ready'), 503: json(Health, 'Not ready; problems say why') },
});

export const OPENAPI_INFO = {
  title: 'praetord',
  description: 'Guarded sandboxes, their events and the environment protocol, over HTTP. Send `Authorization: Bearer pk_...` (optional on the unix socket).',
};

export function registerHealthRoutes(app: ServiceApp, deps: ServiceDeps): void {
  app.openapi(healthz, (c) => c.json({ ok: true }, 200));
  app.openapi(readyz, (c) => {
    const problems = deps.readiness();
    return problems.length === 0 ? c.json({ ok: true }, 200) : c.json({ ok: false, problems }, 503);
  });
  // Not an OpenAPI route: Prometheus text has no schema to declare.
  app.get('/metrics', async (c) => c.body(await deps.metrics.text(), 200, { 'content-type': deps.metrics.contentType }));
  app.openAPIRegistry.registerComponent('securitySchemes', 'bearer', { type: 'http', scheme: 'bearer', description: 'pk_<id>_<secret>' });
  const document = () => app.getOpenAPI31Document({ openapi: '3.1.0', info: { ...OPENAPI_INFO, version: deps.version ?? '0.0.0' } });
  let cached: ReturnType<typeof document> | null = null;
  app.get('/openapi.json', (c) => c.json((cached ??= document())));
  app.get('/docs', (c) => c.html(renderApiPage((cached ??= document()) as unknown as Parameters<typeof renderApiPage>[0])));
}
