// The command policy's asks (serve --policy with a rule that asks, or --policy-mode ask): list the
// requests waiting for an answer, answer one. Admin scope (read keys may list). An ask nobody
// answers before the gate's timeout is denied; without a policy there is nothing to answer (404).
import { createRoute, z } from '@hono/zod-openapi';
import { requireScope } from '../auth.js';
import { ApiError, notFound } from '../api-error.js';
import type { ApprovalQueue, ApprovalRequest } from '../../policy/approval.js';
import { errors, json, jsonBody, SECURITY, type ServiceApp, type ServiceDeps } from '../route-kit.js';

const tags = ['approvals'];
const middleware = [requireScope('approvals')];
const ApprovalSchema = z
  .object({
    id: z.string(),
    sandboxId: z.string(),
    step: z.number().nullable(),
    source: z.string().describe('exec, write-file, read-file or network'),
    target: z.string().describe('The command line, path or host:port asked about.'),
    rule: z.object({ id: z.string(), decision: z.string(), reason: z.string(), technique: z.string().nullable(), tier: z.string() }).passthrough().nullable(),
    reason: z.string(),
    createdAt: z.number(),
  })
  .openapi('ApprovalRequest');
const DecideSchema = z.strictObject({ decision: z.enum(['allow', 'deny']) }).openapi('ApprovalDecision');
const Params = z.object({ id: z.string().min(1).max(128).openapi({ param: { name: 'id', in: 'path' } }) });

const pending = createRoute({
  method: 'get',
  path: '/v1/approvals',
  tags,
  security: SECURITY,
  middleware,
  summary: "The command policy's asks waiting for an answer",
  responses: { 200: json(z.object({ approvals: z.array(ApprovalSchema) }), 'Waiting asks'), ...errors(403, 404) },
});
const decide = createRoute({
  method: 'post',
  path: '/v1/approvals/{id}',
  tags,
  security: SECURITY,
  middleware,
  summary: 'Answer an ask: allow or deny the command, write or connection',
  request: { params: Params, body: jsonBody(DecideSchema) },
  responses: { 204: { description: 'Answered' }, ...errors(400, 403, 404, 415) },
});

const view = (r: ApprovalRequest): z.infer<typeof ApprovalSchema> => ({ ...r, rule: r.rule === null ? null : { ...r.rule } });

export function registerApprovalRoutes(app: ServiceApp, deps: ServiceDeps): void {
  const queue = (): ApprovalQueue => {
    if (deps.approvals === undefined) throw new ApiError(404, 'not-found', 'praetord runs without a command policy (serve --policy): nothing asks');
    return deps.approvals;
  };
  app.openapi(pending, (c) => c.json({ approvals: queue().pending().map(view) }, 200));
  app.openapi(decide, (c) => {
    const { id } = c.req.valid('param');
    const who = c.get('principal');
    if (!queue().resolve(id, c.req.valid('json').decision, `key:${who.keyId}`)) throw notFound(`waiting ask ${id}`);
    return c.body(null, 204);
  });
}
