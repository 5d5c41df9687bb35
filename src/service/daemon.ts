// praetord: one resident process owning the guard, the backend, a warm pool, the episode store
// and the key store, serving the API on a unix socket and optionally TCP. It binds its addresses
// first (a busy port fails fast, before anything is built), answers 503 until ready, and on
// shutdown stops accepting, lets running steps finish for a grace period, then destroys every
// sandbox and flushes the stores.
import { createServer, type Server } from 'node:http';
import { existsSync, rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { getRequestListener } from '@hono/node-server';
import type { Logger } from 'pino';
import { Guard } from '../guard/guard.js';
import type { GuardMode } from '../guard/guard-policy.js';
import type { SandboxBackend } from '../sandbox/backend.js';
import { openBackend } from '../sandbox/open-backend.js';
import { SandboxPool } from '../sandbox/sandbox-pool.js';
import { collectGarbage } from '../sandbox/local/gc.js';
import { defaultHostPaths } from '../sandbox/local/host-paths.js';
import { errorMessage } from '../core/errors.js';
import type { EpisodeStore } from '../episode/store/episode-store.js';
import { openEpisodeStore } from '../episode/store/open-store.js';
import type { PolicyGate } from '../policy/policy-gate.js';
import type { ApprovalQueue } from '../policy/approval.js';
import { ToolRegistry } from '../agent/tools/tool-registry.js';
import { errorBody } from './api-error.js';
import type { Transport } from './auth.js';
import { EnvService } from './env-service.js';
import { EventHub } from './event-hub.js';
import { startGuardFeed } from './guard-feed.js';
import { openKeyBook } from './open-keys.js';
import { listenTcp, listenUnix, type TcpAddress } from './listen.js';
import { QuotaLedger } from './quota-ledger.js';
import type { ServiceLimits, ServiceMount } from './route-kit.js';
import { SandboxService } from './sandbox-service.js';
import { createServiceApp } from './service-app.js';
import { ServiceMetrics } from './service-metrics.js';
import { AlertHistory } from './alert-history.js';
import { SandboxTelemetry } from './sandbox-telemetry.js';
import { RedteamReports } from './redteam-reports.js';
import { UiSessions } from './ui-session.js';

export interface DaemonOptions {
  /** Unix socket path; null for none (then `listen` is required). */
  readonly socket: string | null;
  readonly listen: TcpAddress | null;
  readonly guardMode: GuardMode;
  readonly storeUrl: string;
  /** The key database's path, or a postgres:// URL (a fleet's keys). */
  readonly keysPath: string;
  /** A fleet node's id: its episodes in a shared store are its own (crash recovery touches only them). */
  readonly nodeId?: string;
  /** Warm sandboxes kept ready (0: no pool). */
  readonly poolSize: number;
  /** How long running steps may finish on shutdown before their sandboxes are destroyed. */
  readonly graceMs: number;
  readonly limits?: Partial<ServiceLimits>;
  readonly log: Logger;
  readonly version: string;
  /** The command policy checked before every command of every sandbox (none when absent). */
  readonly commandPolicy?: PolicyGate;
  /** Where the policy's asks wait for an admin's answer (the approvals routes). */
  readonly approvals?: ApprovalQueue;
  /** Folder of past red-team reports shown on the dashboard (none when absent). */
  readonly reportsDir?: string | null;
  /** Folder of the dashboard's built files; the package's own by default, null for no /ui. */
  readonly uiDir?: string | null;
  /** Routes from above the service (the MCP endpoint at /mcp). */
  readonly mounts?: readonly ServiceMount[];
}

/**
 * The dashboard's built files in the package (`npm run build` writes them). A path, not an import:
 * the dashboard sits above the service, which serves its files without loading its code.
 */
export const DEFAULT_UI_DIR = fileURLToPath(new URL('../dashboard/assets/', import.meta.url));

export interface DaemonAddresses {
  readonly socket: string | null;
  readonly tcp: TcpAddress | null;
}

type Fetch = (request: Request, env: { transport: Transport }) => Response | Promise<Response>;

/** Bytes of an unread request body read and dropped after an early answer. */
const DRAIN_LIMIT = 256 * 2 ** 20;
/** A pooled sandbox's replacement starts this long after it is handed out, not during its first step (sandbox-pool.ts). */
const POOL_REFILL_DELAY_MS = 100;

const notReady: Fetch = () => Response.json(errorBody('not-ready', 'praetord is starting or stopping'), { status: 503 });

export class Daemon {
  private handler: Fetch = notReady;
  private readonly servers: Server[] = [];
  private readonly stops: (() => Promise<void> | void)[] = [];
  private stopping: Promise<void> | null = null;
  private sandboxes: SandboxService | null = null;
  addresses: DaemonAddresses = { socket: null, tcp: null };

  private constructor(private readonly options: DaemonOptions) {}

  /** Binds, builds everything, and serves; throws a PraetorError (and leaves nothing behind) on failure. */
  static async start(options: DaemonOptions): Promise<Daemon> {
    const daemon = new Daemon(options);
    try {
      await daemon.bind();
      await daemon.build();
    } catch (err) {
      await daemon.stop('start failed').catch(() => undefined);
      throw err;
    }
    return daemon;
  }

  private server(transport: Transport): Server {
    const listener = getRequestListener((req, env: object) => this.handler(req, { ...env, transport }), {
      errorHandler: () => Response.json(errorBody('internal', 'internal error'), { status: 500 }),
      autoCleanupIncoming: false,
    });
    const server = createServer((req, res) => {
      // A request answered before its body was read (401, 413, 415...): the rest of the body is
      // read and dropped, so the client gets its answer instead of a reset mid-upload. Bounded:
      // past DRAIN_LIMIT the connection is closed after all.
      res.once('finish', () => {
        if (req.readableEnded || req.destroyed) return;
        let drained = 0;
        req.on('data', (chunk: Buffer) => {
          drained += chunk.length;
          if (drained > DRAIN_LIMIT) req.socket.destroy();
        });
        req.resume();
      });
      void listener(req, res);
    });
    server.on('clientError', (err: NodeJS.ErrnoException, socket) => {
      this.options.log.debug({ err: err.code ?? err.message, transport }, 'client error');
      // a request the HTTP parser refuses gets a plain 400 when the socket still takes one
      if (socket.writable && err.code !== 'ECONNRESET') socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
      else socket.destroy();
    });
    this.servers.push(server);
    return server;
  }

  private async bind(): Promise<void> {
    const { socket, listen } = this.options;
    if (socket !== null) {
      await listenUnix(this.server('unix'), socket);
      this.stops.push(() => rmSync(socket, { force: true }));
    }
    const tcp = listen === null ? null : await listenTcp(this.server('tcp'), listen);
    this.addresses = { socket, tcp };
  }

  private async build(): Promise<void> {
    const { log } = this.options;
    const keys = openKeyBook(this.options.keysPath);
    this.stops.push(() => keys.close());
    // Crash recovery, as every praetor command does: what dead praetors left is removed and their
    // episodes are marked aborted (sandboxes of live praetors are left alone).
    const gc = await collectGarbage(defaultHostPaths());
    if (gc.removed.length > 0) log.info({ removed: gc.removed }, 'removed sandboxes left by dead praetor processes');
    const store: EpisodeStore = openEpisodeStore(this.options.storeUrl, this.options.nodeId !== undefined ? { owner: this.options.nodeId } : {});
    this.stops.push(() => store.close());
    store.markRunningAsAborted('praetor stopped before the episode ended', gc.live);
    const { commandPolicy } = this.options;
    const guard = new Guard({ policy: { mode: this.options.guardMode }, onError: (m) => log.warn({ component: 'guard' }, m), ...(commandPolicy ? { commandPolicy } : {}) });
    await guard.start();
    void guard.warmRules(); // no request compiles a rule's regex on its path
    this.stops.push(() => guard.stop());
    const backend = openDaemonBackend(guard);
    this.stops.push(() => backend.close());
    const pool = this.options.poolSize > 0 ? new SandboxPool(backend, { size: this.options.poolSize, refillDelayMs: POOL_REFILL_DELAY_MS, onError: (m) => log.warn({ component: 'pool' }, m) }) : null;
    if (pool) this.stops.push(() => pool.close());
    const hub = new EventHub();
    this.stops.push(() => hub.closeAll());
    const quotas = new QuotaLedger();
    const metrics = new ServiceMetrics({
      sandboxesAlive: () => this.sandboxes?.alive ?? 0,
      poolSize: () => pool?.available ?? 0,
      guardHelperPids: () => guard.helperPids(),
    });
    const uploadBytes = this.options.limits?.uploadBytes;
    const sandboxes = new SandboxService({ backend, guard, pool, hub, metrics, quotas, defaultGuardMode: this.options.guardMode, log, ...(uploadBytes ? { uploadBytes } : {}) });
    this.sandboxes = sandboxes;
    this.stops.push(() => sandboxes.destroyAll());
    const envs = new EnvService({ backend, guard, store, tools: new ToolRegistry() }, quotas);
    this.stops.push(() => envs.closeAll());
    this.stops.push(startGuardFeed({ guard, hub, metrics, episodeOf: (id) => envs.episodeOf(id) }));
    // What the dashboard reads: recent alerts with the key that owned their sandbox, per-sandbox telemetry.
    const history = new AlertHistory(hub, (e) => sandboxes.ownerOf(e.sandbox) ?? envs.ownerOfSandbox(e.sandbox));
    this.stops.push(() => history.close());
    const telemetry = new SandboxTelemetry(guard.events);
    this.stops.push(() => telemetry.close());
    const reports = new RedteamReports(this.options.reportsDir ?? null, (path, why) => log.warn({ path, why }, 'red-team report skipped'));
    const uiDir = this.options.uiDir === undefined ? DEFAULT_UI_DIR : this.options.uiDir;
    if (uiDir !== null && !existsSync(`${uiDir}/index.html`)) log.warn({ uiDir }, 'no dashboard files: /ui is off (npm run build writes them)');
    const ui = uiDir !== null && existsSync(`${uiDir}/index.html`) ? { dir: uiDir, sessions: new UiSessions(keys) } : undefined;
    if (pool) await pool.fill();
    const app = createServiceApp({
      sandboxes,
      envs,
      keys,
      hub,
      metrics,
      log,
      version: this.options.version,
      history,
      telemetry,
      reports,
      ...(ui ? { ui } : {}),
      ...(this.options.approvals ? { approvals: this.options.approvals } : {}),
      ...(this.options.limits ? { limits: this.options.limits } : {}),
      ...(this.options.mounts ? { mounts: this.options.mounts } : {}),
      readiness: () => {
        if (this.stopping) return ['shutting down'];
        try {
          store.listEpisodes({ limit: 1 });
          return [];
        } catch (err) {
          return [`episode store: ${errorMessage(err)}`];
        }
      },
    });
    this.handler = (req, env) => app.fetch(req, env);
  }

  /**
   * Stops accepting, waits up to the grace period for running steps, then tears down in reverse
   * order of construction: event streams, environments, sandboxes, pool, backend, guard, stores.
   */
  stop(reason: string): Promise<void> {
    this.stopping ??= (async () => {
      this.options.log.info({ reason }, 'shutting down');
      this.handler = notReady; // requests arriving from now on get 503; those under way go on
      const closed = this.servers.map((s) => new Promise<void>((resolve) => s.close(() => resolve())));
      const running = this.sandboxes?.running() ?? [];
      if (running.length > 0) {
        const grace = new Promise((resolve) => setTimeout(resolve, this.options.graceMs).unref());
        await Promise.race([Promise.allSettled(running), grace]);
      }
      for (const stop of this.stops.splice(0).reverse()) {
        try {
          this.options.log.debug({ step: stop.name || String(stop).slice(0, 60) }, 'shutdown step');
          await stop();
        } catch (err) {
          this.options.log.warn({ err: errorMessage(err) }, 'shutdown step failed');
        }
      }
      for (const s of this.servers) s.closeAllConnections();
      await Promise.all(closed);
      this.options.log.info('stopped');
    })();
    return this.stopping;
  }
}

/** The daemon's one place that picks a backend (the local one today). */
function openDaemonBackend(guard: Guard): SandboxBackend {
  return openBackend({ observer: guard });
}
