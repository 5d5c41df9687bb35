// `praetor serve --front`: the same API as a single daemon, over a fleet. Stateless: everything
// it knows is in PostgreSQL, so any number run side by side. It places each new sandbox (and
// environment) on a node with room, passes every later call for it to that node, lists and
// streams events across nodes, and answers for the sandboxes of a node that died (state `lost`).
// Keys are the fleet's (in PostgreSQL): the front passes the caller's key on, and each node checks
// it as a single daemon does; the front checks it itself only where it answers alone (lost sandboxes).
import { Hono, type Context } from 'hono';
import type { Logger } from 'pino';
import { errorBody } from '../api-error.js';
import type { ApiKey } from '../key-store.js';
import { mergedEvents } from './front-events.js';
import { confirm, listNodes, lostSandboxes, placement, release, reserve, sweep, type Placement, type Sql } from './fleet-db.js';
import { forward, forwardJson } from './node-proxy.js';
import { checkToken, decoyRow } from './postgres-keys.js';
import type { FrontMetrics } from './front-metrics.js';
import { RouteCache } from './route-cache.js';

export interface FrontDeps {
  readonly sql: Sql;
  /** A node with no heartbeat for this long is lost. */
  readonly timeoutMs: number;
  /** How often the front sweeps for lost nodes and an event stream looks for new or lost ones. */
  readonly tickMs: number;
  readonly log: Logger;
  readonly metrics: FrontMetrics;
}

const BEARER = /^Bearer\s+(\S+)\s*$/i;
const fail = (status: number, code: string, message: string): Response => Response.json(errorBody(code, message), { status });

export function createFrontApp(deps: FrontDeps): Hono {
  const { sql, timeoutMs } = deps;
  const app = new Hono();
  const decoy = decoyRow();
  const routes = new RouteCache(sql, timeoutMs, deps.tickMs);

  const principal = async (c: Context): Promise<ApiKey | null> => {
    const token = BEARER.exec(c.req.header('authorization') ?? '')?.[1];
    if (token === undefined) return null;
    const id = /^pk_([0-9a-f]{12})_/.exec(token)?.[1] ?? '';
    const [row] = await sql`SELECT * FROM api_keys WHERE id = ${id}`;
    return checkToken(token, () => row as never, decoy);
  };
  const canSee = (key: ApiKey, owner: string): boolean => key.scope === 'admin' || key.id === owner;
  const anyNode = async (): Promise<{ id: string; address: string } | null> => {
    const up = (await listNodes(sql, timeoutMs)).filter((n) => n.up);
    return up[Math.floor(Math.random() * up.length)] ?? null;
  };
  const noNode = (): Response => fail(503, 'no-node', 'no fleet node is up');
  const withNode = (view: Record<string, unknown>, node: string): Record<string, unknown> => ({ ...view, node });
  /** A lost sandbox's answer for its owner (or an admin); 404 for anyone else, as for an unknown id. */
  const lostAnswer = async (c: Context, p: Placement, rest: string): Promise<Response> => {
    const key = await principal(c);
    if (key === null) return fail(401, 'unauthorized', 'the API key is not valid (unknown, revoked or malformed)');
    if (!canSee(key, p.owner)) return fail(404, 'not-found', `no sandbox ${p.id}`);
    if (rest === '' && c.req.method === 'GET') return c.json({ ...(p.view ?? { id: p.id, owner: p.owner }), state: 'lost', node: p.node });
    if (rest === '' && c.req.method === 'DELETE') {
      await release(sql, p.id);
      routes.forget(p.id);
      return c.body(null, 204);
    }
    return fail(410, 'sandbox-lost', `${p.kind === 'env' ? 'environment' : 'sandbox'} ${p.id} was lost with fleet node ${p.node}`);
  };

  app.use(async (c, next) => {
    const started = performance.now();
    await next();
    deps.metrics.requests.inc({ method: c.req.method, status: String(c.res.status) });
    deps.log.debug({ method: c.req.method, path: c.req.path, status: c.res.status, ms: Math.round(performance.now() - started) }, 'request');
  });
  app.use('/v1/*', async (c, next) => {
    // the same first answer as a daemon on TCP: no key, no service
    if (c.req.header('authorization') === undefined) return fail(401, 'unauthorized', 'this request needs an API key: Authorization: Bearer pk_...');
    return next();
  });

  app.get('/healthz', (c) => c.json({ ok: true }));
  app.get('/readyz', async (c) => {
    try {
      const up = (await listNodes(sql, timeoutMs)).filter((n) => n.up).length;
      return up > 0 ? c.json({ ok: true }) : c.json({ ok: false, problems: ['no fleet node is up'] }, 503);
    } catch (err) {
      return c.json({ ok: false, problems: [`fleet database: ${err instanceof Error ? err.message : String(err)}`] }, 503);
    }
  });
  app.get('/metrics', async (c) => c.body(await deps.metrics.text(), 200, { 'content-type': deps.metrics.contentType }));
  app.get('/v1/fleet/nodes', async (c) => c.json({ nodes: await listNodes(sql, timeoutMs) }));

  const place = async (c: Context, kind: 'sandbox' | 'env'): Promise<Response> => {
    const body = await c.req.text();
    let gpu = false;
    try {
      gpu = kind === 'sandbox' && (JSON.parse(body || '{}') as { gpu?: unknown }).gpu === true;
    } catch {
      // not JSON: any node answers the 400 a daemon would
    }
    const slot = await reserve(sql, kind, gpu, timeoutMs);
    if (slot === null) return fail(503, 'no-capacity', `no fleet node has a free sandbox slot${gpu ? ' and a free GPU' : ''}`);
    let placed = false;
    try {
      const { response, json } = await forwardJson(c.req.raw, slot.address, slot.node, (j, status) => (status === 201 && kind === 'sandbox' ? withNode(j, slot.node) : j), body);
      if (response.status === 201 && json !== null && typeof json.id === 'string') {
        await confirm(sql, slot.ticket, json.id, typeof json.owner === 'string' ? json.owner : '', kind === 'sandbox' ? json : null);
        routes.remember(json.id, { kind, node: slot.node });
        placed = true;
        deps.metrics.placed.inc({ node: slot.node, kind });
      }
      return response;
    } finally {
      if (!placed) await release(sql, slot.ticket);
    }
  };

  app.post('/v1/sandboxes', (c) => place(c, 'sandbox'));
  app.post('/v1/envs', (c) => place(c, 'env'));

  app.get('/v1/sandboxes', async (c) => {
    const nodes = (await listNodes(sql, timeoutMs)).filter((n) => n.up);
    const answers = await Promise.all(nodes.map(async (n) => ({ n, r: await forwardJson(c.req.raw, n.address, n.id, (j) => j) })));
    const refused = answers.find((a) => a.r.response.status !== 200 && a.r.response.status !== 503);
    if (refused) return refused.r.response;
    const sandboxes: Record<string, unknown>[] = [];
    for (const { n, r } of answers) {
      const list = r.json?.sandboxes;
      if (Array.isArray(list)) for (const s of list as Record<string, unknown>[]) sandboxes.push(withNode(s, n.id));
    }
    const key = await principal(c);
    if (key !== null) for (const p of await lostSandboxes(sql, key.scope === 'admin' ? null : key.id, timeoutMs)) sandboxes.push({ ...(p.view ?? { id: p.id }), state: 'lost', node: p.node });
    return c.json({ sandboxes });
  });

  /** A call for sandbox (or environment) `id` passed to its node. */
  const pass = async (c: Context, id: string, rest: string, kind: 'sandbox' | 'env', node: string, address: string): Promise<Response> => {
    if (rest === '' && c.req.method === 'GET' && kind === 'sandbox') return (await forwardJson(c.req.raw, address, node, (j, s) => (s === 200 ? withNode(j, node) : j))).response;
    const response = await forward(c.req.raw, address, node);
    if (rest === '' && c.req.method === 'DELETE' && (response.status === 204 || response.status === 404)) {
      await release(sql, id);
      routes.forget(id);
    }
    return response;
  };
  const routed = (kind: 'sandbox' | 'env') => async (c: Context): Promise<Response> => {
    const id = c.req.param('id') ?? '';
    const rest = c.req.path.slice(`/v1/${kind === 'env' ? 'envs' : 'sandboxes'}/${id}`.length);
    // remembered, its node up: straight there, no query
    const known = await routes.address(id);
    const first = known !== null && known.route.kind === kind ? await pass(c, id, rest, kind, known.route.node, known.address) : null;
    const unreachable = first !== null && first.status === 503 && first.headers.get('content-type')?.includes('json') === true;
    if (first !== null && !unreachable) return first;
    const p = await placement(sql, id, timeoutMs);
    if (p !== null) routes.learn(p);
    if (p === null || p.kind !== kind) return first ?? fail(404, 'not-found', `no ${kind === 'env' ? 'environment' : 'sandbox'} ${id.slice(0, 128)}`);
    if (p.state === 'lost') return lostAnswer(c, p, rest);
    // the remembered node did not answer but is not lost (yet): its 503 stands (the body is spent)
    const response = first ?? (await pass(c, id, rest, kind, p.node, p.address));
    if (response.status === 503 && response.headers.get('content-type')?.includes('json')) void sweep(sql, timeoutMs).catch(() => undefined);
    return response;
  };
  app.all('/v1/sandboxes/:id', routed('sandbox'));
  app.all('/v1/sandboxes/:id/*', routed('sandbox'));
  app.all('/v1/envs/:id', routed('env'));
  app.all('/v1/envs/:id/*', routed('env'));

  app.get('/v1/events', async (c) => {
    const sandbox = c.req.query('sandbox');
    if (sandbox !== undefined) {
      const p = await placement(sql, sandbox, timeoutMs);
      if (p === null) return fail(404, 'not-found', `no sandbox ${sandbox.slice(0, 128)}`);
      if (p.state === 'lost') return lostAnswer(c, p, '/events');
      return forward(c.req.raw, p.address, p.node);
    }
    // one node checks the key and the query first, so a bad one gets the daemon's own answer
    const first = await anyNode();
    if (first === null) return noNode();
    const key = await principal(c);
    if (key === null) return fail(401, 'unauthorized', 'the API key is not valid (unknown, revoked or malformed)');
    return mergedEvents(c, { sql, timeoutMs, tickMs: deps.tickMs, visible: (owner) => canSee(key, owner) });
  });

  app.get('/v1/approvals', async (c) => {
    const nodes = (await listNodes(sql, timeoutMs)).filter((n) => n.up);
    const answers = await Promise.all(nodes.map((n) => forwardJson(c.req.raw, n.address, n.id, (j) => j)));
    const refused = answers.find((a) => a.response.status !== 200);
    if (refused) return refused.response;
    return c.json({ approvals: answers.flatMap((a) => (Array.isArray(a.json?.approvals) ? (a.json.approvals as unknown[]) : [])) });
  });
  app.post('/v1/approvals/:id', async (c) => {
    const body = await c.req.text();
    let last: Response = fail(404, 'not-found', `no approval ${c.req.param('id').slice(0, 128)}`);
    for (const n of (await listNodes(sql, timeoutMs)).filter((x) => x.up)) {
      last = await forward(c.req.raw, n.address, n.id, body);
      if (last.status !== 404) return last;
    }
    return last;
  });

  // Everything else (keys, episodes: one shared database; the OpenAPI document) any live node answers.
  app.all('*', async (c) => {
    const n = await anyNode();
    return n === null ? noNode() : forward(c.req.raw, n.address, n.id);
  });
  app.onError((err, c) => {
    deps.log.warn({ err: err.message, path: c.req.path }, 'front error');
    return fail(500, 'internal', 'internal error');
  });
  return app;
}
