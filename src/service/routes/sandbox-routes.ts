// Sandboxes: create, list, get, freeze, thaw, destroy, and the alerts a sandbox has raised.
import { createRoute } from '@hono/zod-openapi';
import { requireScope } from '../auth.js';
import { errors, json, jsonBody, SECURITY, type ServiceApp, type ServiceDeps } from '../route-kit.js';
import { AlertListSchema, SandboxCreateSchema, SandboxIdParams, SandboxListSchema, SandboxViewSchema, StepQuery } from '../sandbox-schemas.js';

const tags = ['sandboxes'];
const middleware = [requireScope('sandboxes')];

const create = createRoute({
  method: 'post',
  path: '/v1/sandboxes',
  tags,
  security: SECURITY,
  middleware,
  summary: 'Create a guarded sandbox',
  request: { body: jsonBody(SandboxCreateSchema, false) },
  responses: { 201: json(SandboxViewSchema, 'The new sandbox'), ...errors(400, 403, 413, 415, 429, 503) },
});

const list = createRoute({
  method: 'get',
  path: '/v1/sandboxes',
  tags,
  security: SECURITY,
  middleware,
  summary: "The caller's sandboxes (an admin key sees all)",
  responses: { 200: json(SandboxListSchema, 'Sandboxes'), ...errors(403) },
});

const get = createRoute({
  method: 'get',
  path: '/v1/sandboxes/{id}',
  tags,
  security: SECURITY,
  middleware,
  summary: 'One sandbox',
  request: { params: SandboxIdParams },
  responses: { 200: json(SandboxViewSchema, 'The sandbox'), ...errors(403, 404) },
});

const destroy = createRoute({
  method: 'delete',
  path: '/v1/sandboxes/{id}',
  tags,
  security: SECURITY,
  middleware,
  summary: 'Destroy a sandbox (its running steps die with it)',
  request: { params: SandboxIdParams },
  responses: { 204: { description: 'Destroyed' }, ...errors(403, 404) },
});

const freezeRoute = (action: 'freeze' | 'thaw') =>
  createRoute({
    method: 'post',
    path: `/v1/sandboxes/{id}/${action}`,
    tags,
    security: SECURITY,
    middleware,
    summary: action === 'freeze' ? 'Freeze every process of the sandbox' : 'Thaw a frozen sandbox',
    request: { params: SandboxIdParams },
    responses: { 200: json(SandboxViewSchema, 'The sandbox'), ...errors(403, 404, 409) },
  });

const alerts = createRoute({
  method: 'get',
  path: '/v1/sandboxes/{id}/alerts',
  tags,
  security: SECURITY,
  middleware,
  summary: "The sandbox's alerts (of one step with ?step=N) and the guard's actions on them",
  request: { params: SandboxIdParams, query: StepQuery },
  responses: { 200: json(AlertListSchema, 'Alerts and actions'), ...errors(400, 403, 404) },
});

export function registerSandboxRoutes(app: ServiceApp, deps: ServiceDeps): void {
  const { sandboxes } = deps;
  app.openapi(create, async (c) => {
    const record = await sandboxes.create(c.get('principal'), c.req.valid('json'));
    return c.json(sandboxes.view(record), 201);
  });
  app.openapi(list, (c) => c.json({ sandboxes: sandboxes.list(c.get('principal')).map((s) => sandboxes.view(s)) }, 200));
  app.openapi(get, (c) => c.json(sandboxes.view(sandboxes.get(c.get('principal'), c.req.valid('param').id)), 200));
  app.openapi(destroy, async (c) => {
    await sandboxes.destroy(c.get('principal'), c.req.valid('param').id);
    return c.body(null, 204);
  });
  for (const action of ['freeze', 'thaw'] as const) {
    app.openapi(freezeRoute(action), async (c) => {
      const record = await sandboxes.setFrozen(c.get('principal'), c.req.valid('param').id, action === 'freeze');
      return c.json(sandboxes.view(record), 200);
    });
  }
  app.openapi(alerts, (c) => {
    const { alerts: found, actions } = sandboxes.alerts(c.get('principal'), c.req.valid('param').id, c.req.valid('query').step);
    return c.json({ alerts: found, actions }, 200);
  });
}
