// The service's HTTP app, built by one function from its dependencies: request ids and logs,
// body limits, authentication, every route, and one error handler. Tested in-process with
// `app.request()` (pass `{ transport: 'unix' }` as the env to act as a socket client).
import { OpenAPIHono } from '@hono/zod-openapi';
import type { MiddlewareHandler } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { requestId } from 'hono/request-id';
import { ApiError, errorBody, errorResponse, validationHook } from './api-error.js';
import { authenticate, type ServiceEnv } from './auth.js';
import { DEFAULT_LIMITS, type ServiceApp, type ServiceDeps } from './route-kit.js';
import { registerSandboxRoutes } from './routes/sandbox-routes.js';
import { registerExecRoutes } from './routes/exec-routes.js';
import { registerFileRoutes } from './routes/file-routes.js';
import { registerEventRoutes } from './routes/event-routes.js';
import { registerEnvRoutes } from './routes/env-routes.js';
import { registerKeyRoutes } from './routes/key-routes.js';
import { registerHealthRoutes } from './routes/health-routes.js';
import { registerApprovalRoutes } from './routes/approval-routes.js';
import { registerHistoryRoutes } from './routes/history-routes.js';
import { registerUiRoutes } from './routes/ui-routes.js';
import { registerRunRoutes } from './routes/run-routes.js';

const SANDBOX_PATH = /^\/v1\/sandboxes\/([^/]+)/;

/** Routes whose bodies may be uploads (files, archives, a create with its workspace archive). */
function isUpload(method: string, path: string): boolean {
  // /mcp: write_file and sandbox_create carry files (base64) in JSON-RPC
  return (method === 'PUT' && /^\/v1\/sandboxes\/[^/]+\/(files|archive)$/.test(path)) || (method === 'POST' && (path === '/v1/sandboxes' || path === '/v1/run' || path === '/mcp'));
}

export function createServiceApp(deps: ServiceDeps): ServiceApp {
  const limits = { ...DEFAULT_LIMITS, ...deps.limits };
  const app: ServiceApp = new OpenAPIHono<ServiceEnv>({ defaultHook: validationHook });
  const tooLarge = (): never => {
    throw new ApiError(413, 'body-too-large', 'the request body is larger than this route accepts');
  };
  const jsonLimit: MiddlewareHandler<ServiceEnv> = bodyLimit({ maxSize: limits.jsonBytes, onError: tooLarge });
  // base64 of an archive is 4/3 of its size
  const uploadMax = Math.ceil(limits.uploadBytes * 1.34) + 4096;
  const uploadLimit: MiddlewareHandler<ServiceEnv> = bodyLimit({ maxSize: uploadMax, onError: tooLarge });

  app.use(requestId({ limitLength: 64 }));
  app.use(async (c, next) => {
    const started = performance.now();
    await next();
    const who = c.var.principal as ServiceEnv['Variables']['principal'] | undefined;
    const step = c.var.step as number | undefined;
    const sandbox = SANDBOX_PATH.exec(c.req.path)?.[1];
    deps.metrics.requests.inc({ method: c.req.method, status: String(c.res.status) });
    deps.log.info(
      {
        req: c.var.requestId,
        key: who?.keyId,
        method: c.req.method,
        path: c.req.path,
        ...(sandbox !== undefined ? { sandbox } : {}),
        ...(step !== undefined ? { step } : {}),
        status: c.res.status,
        ms: Math.round((performance.now() - started) * 10) / 10,
      },
      'request',
    );
  });
  app.use(async (c, next) => {
    const upload = isUpload(c.req.method, c.req.path);
    // hono's bodyLimit first reads `raw.body`, which makes @hono/node-server wrap the socket in a
    // web Request and stream (about a millisecond a request). A declared length (node's parser
    // holds the body to it) is compared here as bodyLimit would; anything else goes to bodyLimit.
    const length = c.req.header('content-length');
    if (length !== undefined && c.req.header('transfer-encoding') === undefined) {
      return parseInt(length, 10) > (upload ? uploadMax : limits.jsonBytes) ? tooLarge() : next();
    }
    return (upload ? uploadLimit : jsonLimit)(c, next);
  });
  app.use('/v1/*', authenticate(deps.keys, deps.ui?.sessions));

  registerHealthRoutes(app, deps);
  registerSandboxRoutes(app, deps);
  registerExecRoutes(app, deps);
  registerFileRoutes(app, deps);
  registerEventRoutes(app, deps);
  registerEnvRoutes(app, deps);
  registerKeyRoutes(app, deps);
  registerApprovalRoutes(app, deps);
  registerHistoryRoutes(app, deps);
  registerUiRoutes(app, deps);
  for (const mount of deps.mounts ?? []) mount(app, deps);
  registerRunRoutes(app, deps);

  app.notFound((c) => c.json(errorBody('not-found', `no route ${c.req.method} ${c.req.path.slice(0, 200)}`), 404));
  app.onError((err, c) => errorResponse(err, c, deps.log.child({ req: c.var.requestId })));
  return app;
}
