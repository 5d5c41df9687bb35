// The MCP endpoint of praetord: streamable HTTP at /mcp, with the API's keys (a bearer key over
// TCP; the unix socket's implicit admin without one). Each MCP session belongs to the key that
// opened it (another key asking for it is told it does not exist), sees that key's sandboxes only,
// and destroys the sandboxes it created when it ends: DELETE /mcp, idle past `idleMs`, or shutdown.
import { randomUUID } from 'node:crypto';
import { WebStandardStreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/webStandardStreamableHttp.js';
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { authenticate, type Principal, type ServiceEnv } from '../service/auth.js';
import { DEFAULT_LIMITS, type ServiceApp, type ServiceDeps, type ServiceMount } from '../service/route-kit.js';
import { errorMessage } from '../core/errors.js';
import { McpSandboxSession } from './mcp-session.js';
import { createMcpServer } from './mcp-tools.js';

export interface McpHttpOptions {
  readonly version: string;
  /** A session with no request for this long ends (default 30 minutes). */
  readonly idleMs?: number;
  /** Sessions open at once across all keys (default 1,000); past it a new one gets 503. */
  readonly maxSessions?: number;
}

interface HttpSession {
  readonly owner: string;
  readonly session: McpSandboxSession;
  readonly server: McpServer;
  readonly transport: WebStandardStreamableHTTPServerTransport;
  lastSeen: number;
  active: number;
}

const DEFAULT_IDLE_MS = 30 * 60_000;

/** A JSON-RPC error as the body of an HTTP answer (no request id: it was not read or not valid). */
function rpcError(status: number, code: number, message: string): Response {
  return Response.json({ jsonrpc: '2.0', error: { code, message }, id: null }, { status });
}

/** The sessions of one daemon. */
export class McpHttpSessions {
  private readonly open = new Map<string, HttpSession>();
  private sweeper: NodeJS.Timeout | null = null;

  constructor(
    private readonly deps: ServiceDeps,
    private readonly options: McpHttpOptions,
  ) {}

  get size(): number {
    return this.open.size;
  }

  async handle(req: Request, who: Principal): Promise<Response> {
    const id = req.headers.get('mcp-session-id');
    if (id !== null) {
      const found = this.open.get(id);
      // another key's session answers as an unknown one does
      if (found === undefined || found.owner !== who.keyId) return rpcError(404, -32001, 'Session not found');
      return this.serve(found, req);
    }
    if (req.method !== 'POST') return rpcError(400, -32000, 'Bad Request: no MCP session (send initialize first)');
    if (this.open.size >= (this.options.maxSessions ?? 1000)) return rpcError(503, -32000, 'too many MCP sessions open');
    return this.start(req, who);
  }

  /** A request without a session: the transport answers initialize with a new session, and refuses anything else. */
  private async start(req: Request, who: Principal): Promise<Response> {
    const session = new McpSandboxSession({ sandboxes: this.deps.sandboxes, principal: who });
    const server = createMcpServer(session, { version: this.options.version, log: this.deps.log.child({ component: 'mcp' }) });
    let record: HttpSession | null = null;
    const transport = new WebStandardStreamableHTTPServerTransport({
      sessionIdGenerator: () => randomUUID(),
      // one JSON answer per request: a call's duration is the request's, which the idle clock needs
      enableJsonResponse: true,
      // the service's body limit (uploads: write_file carries a file as base64) came first
      maxRequestBodySize: Math.ceil((this.deps.limits?.uploadBytes ?? DEFAULT_LIMITS.uploadBytes) * 1.34) + 4096,
      onsessioninitialized: (sid) => {
        record = { owner: who.keyId, session, server, transport, lastSeen: Date.now(), active: 0 };
        this.open.set(sid, record);
        this.deps.log.info({ mcpSession: sid, key: who.keyId }, 'mcp session opened');
        this.sweep();
      },
      onsessionclosed: (sid) => this.end(sid, 'closed by the client'),
    });
    await server.connect(transport);
    const response = await transport.handleRequest(req);
    if (record === null) {
      // not an initialize: nothing was opened, nothing is kept
      await server.close().catch(() => undefined);
      await session.close();
    }
    return response;
  }

  private async serve(found: HttpSession, req: Request): Promise<Response> {
    found.active += 1;
    try {
      return await found.transport.handleRequest(req);
    } finally {
      found.active -= 1;
      found.lastSeen = Date.now();
    }
  }

  /** Ends a session: its sandboxes are destroyed, its server closed. */
  async end(sid: string, reason: string): Promise<void> {
    const found = this.open.get(sid);
    if (found === undefined) return;
    this.open.delete(sid);
    const owned = found.session.owned.length;
    await found.session.close();
    await found.server.close().catch((err: unknown) => this.deps.log.debug({ err: errorMessage(err) }, 'mcp server close'));
    this.deps.log.info({ mcpSession: sid, key: found.owner, reason, destroyed: owned }, 'mcp session ended');
    if (this.open.size === 0 && this.sweeper !== null) {
      clearInterval(this.sweeper);
      this.sweeper = null;
    }
  }

  async closeAll(reason: string): Promise<void> {
    await Promise.allSettled([...this.open.keys()].map((sid) => this.end(sid, reason)));
  }

  /** Checks idle sessions while any is open. */
  private sweep(): void {
    if (this.sweeper !== null) return;
    const idleMs = this.options.idleMs ?? DEFAULT_IDLE_MS;
    this.sweeper = setInterval(
      () => {
        const now = Date.now();
        for (const [sid, s] of this.open) if (s.active === 0 && now - s.lastSeen > idleMs) void this.end(sid, 'idle');
      },
      Math.max(50, Math.min(60_000, idleMs / 4)),
    );
    this.sweeper.unref();
  }
}

/** Mounts /mcp on the daemon's app (`praetor serve` passes it to the daemon). */
export function mcpMount(options: McpHttpOptions): ServiceMount {
  return (app: ServiceApp, deps: ServiceDeps) => {
    const sessions = new McpHttpSessions(deps, options);
    app.use('/mcp', authenticate(deps.keys));
    app.all('/mcp', (c) => sessions.handle(c.req.raw, c.get('principal') satisfies ServiceEnv['Variables']['principal']));
  };
}
