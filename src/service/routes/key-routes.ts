// API keys over the API (admin scope): create (the key is shown once), list, revoke.
import { createRoute, z } from '@hono/zod-openapi';
import { requireScope } from '../auth.js';
import { notFound } from '../api-error.js';
import { QuotasSchema, SCOPES, type ApiKey } from '../key-store.js';
import { errors, json, jsonBody, SECURITY, type ServiceApp, type ServiceDeps } from '../route-kit.js';

const tags = ['keys'];
const middleware = [requireScope('keys')];
const KeyCreateSchema = z
  .strictObject({
    name: z.string().min(1).max(128),
    scope: z.enum(SCOPES).describe('admin: everything; sandboxes: sandbox and event APIs; envs: environment protocol, episodes, events; read: GET only.'),
    quotas: QuotasSchema.optional(),
  })
  .openapi('KeyCreate');
const KeySchema = z
  .object({
    id: z.string(),
    name: z.string(),
    scope: z.enum(SCOPES),
    quotas: z.object({ maxSandboxes: z.number().optional(), maxCpus: z.number().optional(), maxMemoryBytes: z.number().optional() }),
    createdAt: z.number(),
    revokedAt: z.number().nullable(),
  })
  .openapi('ApiKey');
const KeyParams = z.object({ id: z.string().min(1).max(64).openapi({ param: { name: 'id', in: 'path' } }) });

const create = createRoute({
  method: 'post',
  path: '/v1/keys',
  tags,
  security: SECURITY,
  middleware,
  summary: 'Create a key; `key` is shown this once and never stored',
  request: { body: jsonBody(KeyCreateSchema) },
  responses: { 201: json(z.object({ id: z.string(), key: z.string(), apiKey: KeySchema }), 'The key'), ...errors(400, 403, 415) },
});
const list = createRoute({
  method: 'get',
  path: '/v1/keys',
  tags,
  security: SECURITY,
  middleware,
  summary: 'Every key (never its secret)',
  responses: { 200: json(z.object({ keys: z.array(KeySchema) }), 'Keys'), ...errors(403) },
});
const revoke = createRoute({
  method: 'delete',
  path: '/v1/keys/{id}',
  tags,
  security: SECURITY,
  middleware,
  summary: 'Revoke a key; its next request gets 401',
  request: { params: KeyParams },
  responses: { 204: { description: 'Revoked' }, ...errors(403, 404) },
});

const view = (k: ApiKey): z.infer<typeof KeySchema> => ({ ...k, quotas: { ...k.quotas } });

export function registerKeyRoutes(app: ServiceApp, deps: ServiceDeps): void {
  const { keys } = deps;
  app.openapi(create, (c) => {
    const { key, token } = keys.create(c.req.valid('json'));
    return c.json({ id: key.id, key: token, apiKey: view(key) }, 201);
  });
  app.openapi(list, (c) => c.json({ keys: keys.list().map(view) }, 200));
  app.openapi(revoke, (c) => {
    if (!keys.revoke(c.req.valid('param').id)) throw notFound(`live key ${c.req.valid('param').id}`);
    return c.body(null, 204);
  });
}
