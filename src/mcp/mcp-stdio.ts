// `praetor mcp` over stdio: one MCP session in this process, with its own guard and backend, as
// `praetor run` has (no daemon needed; a client that wants the daemon's sandboxes and keys uses
// its /mcp endpoint). Stdout carries only protocol messages; logs go to stderr. When stdin closes
// or a signal comes, the session's sandboxes are destroyed and everything is torn down.
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import type { Logger } from 'pino';
import { Guard } from '../guard/guard.js';
import type { GuardMode } from '../guard/guard-policy.js';
import type { PolicyGate } from '../policy/policy-gate.js';
import { openBackend } from '../sandbox/open-backend.js';
import { errorMessage } from '../core/errors.js';
import { LOCAL_PRINCIPAL } from '../service/auth.js';
import { EventHub } from '../service/event-hub.js';
import { QuotaLedger } from '../service/quota-ledger.js';
import { SandboxService } from '../service/sandbox-service.js';
import type { SandboxCreate } from '../service/sandbox-schemas.js';
import { ServiceMetrics } from '../service/service-metrics.js';
import { McpSandboxSession } from './mcp-session.js';
import { createMcpServer } from './mcp-tools.js';

export interface McpStdioOptions {
  readonly guardMode: GuardMode;
  /** Options of the session's sandboxes made without sandbox_create (the --workspace copy, domains...). */
  readonly defaults: SandboxCreate;
  readonly version: string;
  readonly log: Logger;
  readonly commandPolicy?: PolicyGate;
  readonly stdin?: NodeJS.ReadableStream;
  readonly stdout?: NodeJS.WritableStream;
}

/** Serves until stdin closes or SIGINT/SIGTERM; resolves once every sandbox it made is gone. */
export async function serveMcpStdio(options: McpStdioOptions): Promise<string> {
  const { log, guardMode, commandPolicy } = options;
  const stdin = options.stdin ?? process.stdin;
  const stdout = options.stdout ?? process.stdout;
  const guard = new Guard({ policy: { mode: guardMode }, onError: (m) => log.warn({ component: 'guard' }, m), ...(commandPolicy ? { commandPolicy } : {}) });
  const backend = openBackend({ observer: guard });
  const offAlerts = guard.events.subscribe({ kinds: ['alert'] }, (e) =>
    log.warn({ sandbox: e.alert.sandboxId, step: e.alert.step, rule: e.alert.ruleId, technique: e.alert.technique, severity: e.alert.severity }, `alert: ${e.alert.title}`),
  );
  let session: McpSandboxSession | null = null;
  try {
    const started = await Promise.allSettled([guard.start(), backend.prepare?.()]);
    for (const s of started) if (s.status === 'rejected') throw s.reason;
    const sandboxes: SandboxService = new SandboxService({
      backend,
      guard,
      pool: null,
      hub: new EventHub(),
      metrics: new ServiceMetrics({ sandboxesAlive: (): number => sandboxes.alive, poolSize: () => 0, guardHelperPids: () => guard.helperPids() }),
      quotas: new QuotaLedger(),
      defaultGuardMode: guardMode,
      log,
    });
    session = new McpSandboxSession({ sandboxes, principal: LOCAL_PRINCIPAL, defaults: options.defaults });
    const server = createMcpServer(session, { version: options.version, log });
    const transport = new StdioServerTransport(stdin as typeof process.stdin, stdout as typeof process.stdout);
    // A line that is not JSON-RPC gets a JSON-RPC error (the SDK only reports it to onerror).
    transport.onerror = (err) => {
      log.warn({ err: errorMessage(err) }, 'mcp: bad message');
      const code = err instanceof SyntaxError ? -32700 : -32600;
      stdout.write(`${JSON.stringify({ jsonrpc: '2.0', id: null, error: { code, message: code === -32700 ? 'Parse error' : 'Invalid Request' } })}\n`);
    };
    const ended = new Promise<string>((resolve) => {
      stdin.once('end', () => resolve('stdin closed'));
      stdin.once('close', () => resolve('stdin closed'));
      process.once('SIGINT', () => resolve('SIGINT'));
      process.once('SIGTERM', () => resolve('SIGTERM'));
      server.server.onclose = () => resolve('transport closed');
    });
    await server.connect(transport);
    log.info({ guard: guardMode }, 'mcp: serving on stdio');
    const reason = await ended;
    const owned = session.owned.length;
    await session.close();
    log.info({ reason, destroyed: owned }, 'mcp: session ended; its sandboxes are destroyed');
    await server.close().catch(() => undefined);
    return reason;
  } finally {
    await session?.close().catch(() => undefined);
    offAlerts();
    await backend.close().catch(() => undefined);
    await guard.stop();
  }
}
