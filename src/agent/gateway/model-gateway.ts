// The model gateway for agents that run inside a sandbox: the model APIs agents use (OpenAI chat
// completions, OpenAI Responses, Anthropic Messages), reached from the sandbox only through its
// egress proxy. It records every request and response as a turn in one shape, forwards it upstream
// (or lets a trainer answer), and tells the episode runner when a turn starts and ends so alerts can
// be tied to the turn in progress.
import { createHash, randomBytes } from 'node:crypto';
import type { Server } from 'node:http';
import { serve } from '@hono/node-server';
import { Hono } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { HTTPException } from 'hono/http-exception';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { PraetorError, errorMessage } from '../../core/errors.js';
import type { UpstreamTarget } from '../../sandbox/network/resolver.js';
import type { ApiRequest, GatewayErrorKind, ModelApi } from './apis/model-api.js';
import { MODEL_APIS, apiOfPath } from './apis/model-apis.js';
import { trainerResponder, upstreamResponder, type Responder, type TrainerAnswerFn, type UpstreamConfig } from './gateway-responder.js';
import type { Completion, Turn, TurnRequest } from './gateway-wire.js';
import type { TrainerQueue } from './trainer-queue.js';

/** The name sandboxes reach the gateway by; the egress proxy's resolver maps it to the gateway. */
export const GATEWAY_HOST = 'gateway.praetor.internal';
export const GATEWAY_BASE_URL = `http://${GATEWAY_HOST}/v1`;

/**
 * The resolver entry that sends GATEWAY_HOST to a gateway listening on this host's loopback. Pinned
 * as praetor's own service: the proxy refuses loopback to every other name, and to other ports.
 */
export function gatewayUpstream(port: number): UpstreamTarget {
  return { address: '127.0.0.1', port, trustedService: 'model gateway' };
}
const DEFAULT_MAX_BODY_BYTES = 32 * 2 ** 20;
const DEFAULT_BARRIER_TIMEOUT_MS = 10_000;

export interface GatewayRegistration {
  readonly sandboxId: string;
  /** The sandbox's bearer token: the only thing that ties a request to it. */
  readonly token: string;
  /** The OpenAI-style base URL (with /v1) as seen from inside the sandbox. */
  readonly baseUrl: string;
}

/**
 * The environment OpenAI and Anthropic clients inside the sandbox need to use the gateway (the
 * Anthropic base URL has no /v1: clients add /v1/messages). An agent CLI's own settings come on top.
 */
export function gatewayEnv(registration: Pick<GatewayRegistration, 'token' | 'baseUrl'>): Record<string, string> {
  return {
    OPENAI_BASE_URL: registration.baseUrl,
    OPENAI_API_KEY: registration.token,
    ANTHROPIC_BASE_URL: registration.baseUrl.replace(/\/v1\/?$/, ''),
    ANTHROPIC_API_KEY: registration.token,
  };
}

/** An error the app answers in the body shape of the API the client speaks; onError turns it into the response. */
export class GatewayHttpError extends HTTPException {
  constructor(
    readonly api: ModelApi,
    status: ContentfulStatusCode,
    readonly kind: GatewayErrorKind,
    message: string,
  ) {
    super(status, { message });
  }
}

export interface TurnRecorder {
  /** A validated request arrived; resolves once the turn may go to the model. */
  begin(sandboxId: string, api: ModelApi, request: ApiRequest): Promise<TurnRequest>;
  end(turn: TurnRequest, outcome: { completion: Completion } | { error: string }): void;
}

export interface GatewayAppDeps {
  /** The sandbox a token belongs to, or null. */
  readonly authenticate: (token: string) => string | null;
  readonly respond: Responder;
  readonly turns: TurnRecorder;
  readonly models: readonly string[];
  readonly maxBodyBytes?: number;
}

type GatewayEnv = { Variables: { sandboxId: string } };

/** The token of a request: `Authorization: Bearer` (OpenAI clients) or `x-api-key` (Anthropic's). */
function requestToken(authorization: string | undefined, apiKey: string | undefined): string | null {
  const bearer = /^Bearer\s+(\S+)\s*$/i.exec(authorization ?? '')?.[1];
  if (bearer !== undefined) return bearer;
  const key = apiKey?.trim() ?? '';
  return key === '' ? null : key;
}

export function createGatewayApp(deps: GatewayAppDeps): Hono<GatewayEnv> {
  const app = new Hono<GatewayEnv>();
  app.onError((err, c) => {
    if (err instanceof GatewayHttpError) return c.json(err.api.errorBody(err.kind, err.message), err.status);
    const api = apiOfPath(c.req.path);
    if (err instanceof HTTPException) return c.json(api.errorBody('invalid_request', err.message), err.status);
    return c.json(api.errorBody('server', `gateway error: ${errorMessage(err)}`), 500);
  });
  app.notFound((c) => c.json(apiOfPath(c.req.path).errorBody('not_found', `no route ${c.req.method} ${c.req.path}`), 404));

  app.use('/v1/*', async (c, next) => {
    const api = apiOfPath(c.req.path);
    const token = requestToken(c.req.header('authorization'), c.req.header('x-api-key'));
    if (token === null) throw new GatewayHttpError(api, 401, 'authentication', 'missing API key: send Authorization: Bearer $OPENAI_API_KEY or x-api-key: $ANTHROPIC_API_KEY');
    const sandboxId = deps.authenticate(token);
    if (sandboxId === null) throw new GatewayHttpError(api, 401, 'authentication', 'invalid API key: it belongs to no registered sandbox');
    c.set('sandboxId', sandboxId);
    await next();
  });

  app.get('/v1/models', (c) =>
    c.json({ object: 'list', data: deps.models.map((id) => ({ id, object: 'model', created: 0, owned_by: 'praetor' })) }),
  );

  const maxSize = deps.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
  for (const api of MODEL_APIS) {
    const limit = bodyLimit({
      maxSize,
      onError: () => {
        throw new GatewayHttpError(api, 413, 'too_large', `request body over ${maxSize} bytes`);
      },
    });
    app.post(api.path, limit, async (c) => {
      const json: unknown = await c.req.json().catch(() => {
        throw new GatewayHttpError(api, 400, 'invalid_request', 'request body is not JSON');
      });
      const parsed = api.parseRequest(json);
      if ('error' in parsed) throw new GatewayHttpError(api, 400, 'invalid_request', `invalid request: ${parsed.error}`);
      const turn = await deps.turns.begin(c.get('sandboxId'), api, parsed.request);
      const result = await deps.respond({ turn, api, request: parsed.request, search: new URL(c.req.url).search, headers: c.req.raw.headers, signal: c.req.raw.signal });
      switch (result.kind) {
        case 'error':
          deps.turns.end(turn, { error: result.message });
          throw new GatewayHttpError(api, result.status, result.errorKind, result.message);
        case 'json':
          deps.turns.end(turn, { completion: result.completion });
          return new Response(result.body, { status: 200, headers: { 'content-type': result.contentType } });
        case 'stream':
          // The turn ends when the recording branch of the tee has read the whole stream.
          result.completion.then(
            (completion) => deps.turns.end(turn, { completion }),
            (err: unknown) => deps.turns.end(turn, { error: `stream: ${errorMessage(err)}` }),
          );
          return new Response(result.body, { status: 200, headers: { 'content-type': result.contentType, 'cache-control': 'no-cache' } });
      }
    });
  }
  return app;
}

/** Told about one sandbox's turns. */
export interface TurnObserver {
  /** A request arrived; the gateway holds it (up to the barrier timeout) until this settles. */
  onRequest?(request: TurnRequest): void | Promise<void>;
  onTurn?(turn: Turn): void;
}

export interface ModelGatewayOptions {
  /**
   * Upstreams that speak the agents' APIs (one OpenAI-compatible, one Anthropic-compatible at most),
   * or a trainer that answers each request itself: a TrainerQueue, or a function.
   */
  readonly upstream: UpstreamConfig | readonly UpstreamConfig[] | TrainerQueue | { readonly answer: TrainerAnswerFn };
  /** Every finished turn of every sandbox. Must not throw. */
  readonly onTurn?: (turn: Turn) => void;
  /** Listed by GET /v1/models; default the upstream's model or "praetor". */
  readonly models?: readonly string[];
  /** Base URL handed to sandboxes; default http://gateway.praetor.internal/v1. */
  readonly baseUrl?: string;
  /** Longest a request waits for onRequest observers. */
  readonly barrierTimeoutMs?: number;
  readonly maxBodyBytes?: number;
  readonly onError?: (message: string) => void;
}

interface Registered {
  readonly tokenDigest: string;
  readonly turns: Turn[];
  readonly observers: Set<TurnObserver>;
  next: number;
}

/** sha256 of a token: tokens are looked up by digest, so lookup timing says nothing about a stored token. */
function digest(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

export class ModelGateway implements TurnRecorder {
  readonly app: Hono<GatewayEnv>;
  private readonly registered = new Map<string, Registered>();
  private readonly byDigest = new Map<string, string>();
  private server: Server | null = null;

  constructor(private readonly options: ModelGatewayOptions) {
    const up = options.upstream;
    const upstreams: readonly UpstreamConfig[] = Array.isArray(up) ? up : 'baseUrl' in up ? [up] : [];
    const respond =
      'ask' in up ? trainerResponder((request, signal) => up.ask(request, signal)) : 'answer' in up ? trainerResponder(up.answer) : upstreamResponder(upstreams);
    const models = options.models ?? [upstreams.find((u) => u.model !== undefined)?.model ?? 'praetor'];
    this.app = createGatewayApp({
      authenticate: (token) => this.byDigest.get(digest(token)) ?? null,
      respond,
      turns: this,
      models,
      ...(options.maxBodyBytes !== undefined ? { maxBodyBytes: options.maxBodyBytes } : {}),
    });
  }

  listen(host = '127.0.0.1', port = 0): Promise<{ port: number }> {
    if (this.server !== null) return Promise.reject(new PraetorError('usage', 'the model gateway is already listening'));
    return new Promise((resolve, reject) => {
      const server = serve({ fetch: this.app.fetch, hostname: host, port }, (info) => resolve({ port: info.port })) as Server;
      server.once('error', reject);
      this.server = server;
    });
  }

  async close(): Promise<void> {
    const server = this.server;
    this.server = null;
    if (server === null) return;
    await new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
  }

  register(sandboxId: string): GatewayRegistration {
    if (this.registered.has(sandboxId)) throw new PraetorError('usage', `sandbox ${sandboxId} is already registered with the gateway`);
    const token = `pgw-${randomBytes(32).toString('base64url')}`;
    const tokenDigest = digest(token);
    this.registered.set(sandboxId, { tokenDigest, turns: [], observers: new Set(), next: 1 });
    this.byDigest.set(tokenDigest, sandboxId);
    return { sandboxId, token, baseUrl: this.options.baseUrl ?? GATEWAY_BASE_URL };
  }

  /** Revokes the sandbox's token and forgets it; returns its turns. */
  unregister(sandboxId: string): Turn[] {
    const entry = this.registered.get(sandboxId);
    if (entry === undefined) return [];
    this.registered.delete(sandboxId);
    this.byDigest.delete(entry.tokenDigest);
    return sortTurns(entry.turns);
  }

  /** Finished turns of a registered sandbox, by index. */
  turns(sandboxId: string): Turn[] {
    return sortTurns(this.registered.get(sandboxId)?.turns ?? []);
  }

  observe(sandboxId: string, observer: TurnObserver): () => void {
    const entry = this.registered.get(sandboxId);
    if (entry === undefined) throw new PraetorError('sandbox-not-found', `sandbox ${sandboxId} is not registered with the gateway`);
    entry.observers.add(observer);
    return () => entry.observers.delete(observer);
  }

  async begin(sandboxId: string, api: ModelApi, request: ApiRequest): Promise<TurnRequest> {
    const entry = this.registered.get(sandboxId);
    const turn: TurnRequest = {
      id: `turn-${randomBytes(6).toString('hex')}`,
      sandboxId,
      index: entry === undefined ? 0 : entry.next++,
      requestedAt: Date.now(),
      api: api.name,
      model: request.model,
      stream: request.stream,
      request: { messages: request.messages, tools: request.tools },
    };
    const waits = [...(entry?.observers ?? [])].map((o) => this.call(() => o.onRequest?.(turn)));
    if (waits.length > 0) await withTimeout(Promise.all(waits), this.options.barrierTimeoutMs ?? DEFAULT_BARRIER_TIMEOUT_MS);
    return turn;
  }

  end(request: TurnRequest, outcome: { completion: Completion } | { error: string }): void {
    const entry = this.registered.get(request.sandboxId);
    if (entry === undefined) return; // unregistered while the model answered: nobody keeps its turns
    const turn: Turn =
      'error' in outcome
        ? { ...request, respondedAt: Date.now(), response: null, error: outcome.error }
        : {
            ...request,
            respondedAt: Date.now(),
            response: outcome.completion.message,
            ...(outcome.completion.usage !== null ? { usage: outcome.completion.usage } : {}),
            ...(outcome.completion.completionId !== null ? { completionId: outcome.completion.completionId } : {}),
            ...(outcome.completion.finishReason !== null ? { finishReason: outcome.completion.finishReason } : {}),
            ...(outcome.completion.tokens !== null ? { tokens: outcome.completion.tokens } : {}),
          };
    entry.turns.push(turn);
    void this.call(() => this.options.onTurn?.(turn));
    for (const o of entry.observers) void this.call(() => o.onTurn?.(turn));
  }

  /** Runs a listener; one that throws is reported, never lets the gateway fail a request. */
  private async call(fn: () => void | Promise<void>): Promise<void> {
    try {
      await fn();
    } catch (err) {
      (this.options.onError ?? ((m: string) => process.stderr.write(`praetor gateway: ${m}\n`)))(`turn listener failed: ${errorMessage(err)}`);
    }
  }
}

function sortTurns(turns: readonly Turn[]): Turn[] {
  return [...turns].sort((a, b) => a.index - b.index);
}

async function withTimeout(promise: Promise<unknown>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([promise, new Promise((resolve) => (timer = setTimeout(resolve, ms)))]);
  clearTimeout(timer);
}
