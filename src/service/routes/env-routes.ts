// The environment protocol for trainers (make, reset, step, close) under the service's auth
// (scope `envs`), and read access to the episodes it recorded for the calling key.
import { createRoute, z } from '@hono/zod-openapi';
import { requireScope } from '../auth.js';
import { errors, json, jsonBody, SECURITY, type ServiceApp, type ServiceDeps } from '../route-kit.js';

const tags = ['environments'];
const middleware = [requireScope('envs')];
const EnvParams = z.object({ id: z.string().min(1).max(128).openapi({ param: { name: 'id', in: 'path' } }) });
const MakeSchema = z
  .strictObject({ task: z.record(z.string(), z.unknown()).describe('A task: id, instruction, setup, verifier, budgets, sandbox options, safetyPenalties (no host workspace).') })
  .openapi('EnvMake');
const StepSchema = z.strictObject({ action: z.unknown().describe('A tool call {id, name, arguments}, or {name: "submit"}.') }).openapi('EnvStepRequest');
const InfoSchema = z.record(z.string(), z.unknown());
const ResetSchema = z.object({ observation: z.string(), info: InfoSchema }).openapi('EnvReset');
const StepResultSchema = z
  .object({ observation: z.string(), reward: z.number(), terminated: z.boolean(), truncated: z.boolean(), info: InfoSchema })
  .openapi('EnvStep');
const EpisodeList = z.object({ episodes: z.array(z.record(z.string(), z.unknown())) }).openapi('EpisodeList');
const EpisodeDetail = z.object({ episode: z.record(z.string(), z.unknown()), steps: z.array(z.record(z.string(), z.unknown())) }).openapi('EpisodeDetail');

const route = <R extends Parameters<typeof createRoute>[0]>(r: R) => createRoute({ ...r, tags, security: SECURITY, middleware });

const make = route({
  method: 'post',
  path: '/v1/envs',
  summary: 'Register a task; nothing runs until reset',
  request: { body: jsonBody(MakeSchema) },
  responses: { 201: json(z.object({ id: z.string() }), 'The environment id'), ...errors(400, 403, 415) },
});
const reset = route({
  method: 'post',
  path: '/v1/envs/{id}/reset',
  summary: 'Start a fresh episode in a fresh sandbox',
  request: { params: EnvParams },
  responses: { 200: json(ResetSchema, 'The first observation'), ...errors(403, 404, 429, 503) },
});
const step = route({
  method: 'post',
  path: '/v1/envs/{id}/step',
  summary: 'Run one action as the next step',
  request: { params: EnvParams, body: jsonBody(StepSchema) },
  responses: { 200: json(StepResultSchema, 'Observation, reward, terminated, truncated, info'), ...errors(400, 403, 404, 415) },
});
const close = route({
  method: 'delete',
  path: '/v1/envs/{id}',
  summary: 'End the episode in progress (aborted) and forget the environment',
  request: { params: EnvParams },
  responses: { 204: { description: 'Closed' }, ...errors(403, 404) },
});
const episodes = createRoute({
  method: 'get',
  path: '/v1/episodes',
  tags: ['episodes'],
  security: SECURITY,
  middleware: [requireScope('episodes')],
  summary: "The caller's recorded episodes, newest first (an admin key sees all)",
  request: { query: z.object({ limit: z.coerce.number().int().min(1).max(1000).default(100) }) },
  responses: { 200: json(EpisodeList, 'Episodes'), ...errors(400, 403) },
});
const episode = createRoute({
  method: 'get',
  path: '/v1/episodes/{id}',
  tags: ['episodes'],
  security: SECURITY,
  middleware: [requireScope('episodes')],
  summary: 'One episode with its steps and their alerts',
  request: { params: EnvParams },
  responses: { 200: json(EpisodeDetail, 'The episode'), ...errors(403, 404) },
});

export function registerEnvRoutes(app: ServiceApp, deps: ServiceDeps): void {
  const { envs } = deps;
  app.openapi(make, (c) => c.json({ id: envs.make(c.get('principal'), c.req.valid('json').task) }, 201));
  app.openapi(reset, async (c) => c.json((await envs.reset(c.get('principal'), c.req.valid('param').id)) as z.infer<typeof ResetSchema>, 200));
  app.openapi(step, async (c) => {
    const result = await envs.step(c.get('principal'), c.req.valid('param').id, c.req.valid('json').action);
    return c.json(result as unknown as z.infer<typeof StepResultSchema>, 200);
  });
  app.openapi(close, async (c) => {
    await envs.close(c.get('principal'), c.req.valid('param').id);
    return c.body(null, 204);
  });
  app.openapi(episodes, (c) => c.json({ episodes: envs.listEpisodes(c.get('principal'), c.req.valid('query').limit) }, 200));
  app.openapi(episode, (c) => c.json(envs.getEpisode(c.get('principal'), c.req.valid('param').id) as unknown as z.infer<typeof EpisodeDetail>, 200));
}
