// For the dashboard's tests (never product code): the service app in-process over the in-memory
// backend, served on loopback with the built dashboard, with a guard event bus the test drives
// (resource samples, network decisions) and the event hub it publishes alerts on.
import { createServer, type Server } from 'node:http';
import { fileURLToPath } from 'node:url';
import { getRequestListener } from '@hono/node-server';
import { pino } from 'pino';
import type { Guard } from '../guard/guard.js';
import type { GuardStreamEvent } from '../guard/guard-events.js';
import { EventBus } from '../monitor/event-bus.js';
import { openEpisodeStore } from '../episode/store/open-store.js';
import type { EpisodeStore } from '../episode/store/episode-store.js';
import { createServiceApp } from '../service/service-app.js';
import { KeyStore, type Scope } from '../service/key-store.js';
import { EventHub, type ServiceEvent } from '../service/event-hub.js';
import { ServiceMetrics } from '../service/service-metrics.js';
import { QuotaLedger } from '../service/quota-ledger.js';
import { SandboxService } from '../service/sandbox-service.js';
import { EnvService } from '../service/env-service.js';
import { AlertHistory } from '../service/alert-history.js';
import { SandboxTelemetry } from '../service/sandbox-telemetry.js';
import { RedteamReports } from '../service/redteam-reports.js';
import { UiSessions } from '../service/ui-session.js';
import type { Principal } from '../service/auth.js';
import { FakeBackend } from './fake-backend.js';

/** The built dashboard (npm run build writes it). */
export const UI_DIR = fileURLToPath(new URL('../dashboard/assets/', import.meta.url));

export interface DashboardWorld {
  readonly base: string;
  readonly hub: EventHub;
  readonly bus: EventBus<GuardStreamEvent>;
  readonly keys: KeyStore;
  readonly sandboxes: SandboxService;
  readonly store: EpisodeStore;
  key(scope: Scope): { token: string; principal: Principal };
  /** Publishes an alert on the hub as the guard feed would. */
  alert(sandbox: string, step: number, n: number, time?: number): ServiceEvent;
  close(): Promise<void>;
}

/** The guard's surface the service uses, doing nothing: the test drives events itself. */
const quietGuard = { setPolicy: () => undefined, alerts: () => [], actions: () => [], settle: () => Promise.resolve() } as unknown as Guard;

const RULES = [
  ['miner-pool-url', 'T1496', 'high'],
  ['ssh-reverse-tunnel', 'T1572', 'critical'],
  ['network-scan-fanout', 'T1046', 'medium'],
  ['download-exec', 'T1105', 'medium'],
  ['cron-persistence', 'T1053.003', 'low'],
] as const;

export async function startDashboardWorld(opts: { reportsDir?: string; uiDir?: string } = {}): Promise<DashboardWorld> {
  const backend = new FakeBackend();
  const keys = new KeyStore(':memory:');
  const hub = new EventHub();
  const bus = new EventBus<GuardStreamEvent>();
  const log = pino({ level: 'silent' });
  const quotas = new QuotaLedger();
  const metrics = new ServiceMetrics({ sandboxesAlive: () => backend.list().length, poolSize: () => 0, guardHelperPids: () => [] });
  const sandboxes = new SandboxService({ backend, guard: quietGuard, pool: null, hub, metrics, quotas, defaultGuardMode: 'block', log });
  const store = openEpisodeStore('memory:');
  const envs = new EnvService({ backend, guard: quietGuard, store }, quotas);
  const history = new AlertHistory(hub, (e) => sandboxes.ownerOf(e.sandbox));
  const telemetry = new SandboxTelemetry(bus);
  const app = createServiceApp({
    sandboxes,
    envs,
    keys,
    hub,
    metrics,
    log,
    readiness: () => [],
    history,
    telemetry,
    reports: new RedteamReports(opts.reportsDir ?? null),
    ui: { dir: opts.uiDir ?? UI_DIR, sessions: new UiSessions(keys) },
  });
  const listener = getRequestListener((req) => app.fetch(req, { transport: 'tcp' }));
  const server: Server = createServer((req, res) => void listener(req, res));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : 0;
  let n = 0;
  return {
    base: `http://127.0.0.1:${port}`,
    hub,
    bus,
    keys,
    sandboxes,
    store,
    key: (scope) => {
      const { key, token } = keys.create({ name: `test-${scope}`, scope });
      return { token, principal: { keyId: key.id, name: key.name, scope, quotas: {} } };
    },
    alert: (sandbox, step, i, time = Date.now()) => {
      const [ruleId, technique, severity] = RULES[i % RULES.length] ?? RULES[0];
      const data = {
        id: `alert-${++n}`,
        ruleId,
        title: `${ruleId} fired`,
        technique,
        severity,
        time,
        sandboxId: sandbox,
        step,
        pid: 1000 + i,
        argv: ['/tmp/x', '-o', `stratum+tcp://pool.example.test:${3000 + (i % 100)}`],
        evidence: [{ kind: 'argv', match: 'stratum+tcp://' }],
        latencyMs: 3,
        description: `test alert ${i}`,
      };
      const event: ServiceEvent = { type: 'alert', sandbox, step, time, data };
      hub.publish(event);
      return event;
    },
    close: async () => {
      hub.closeAll();
      await new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      });
      history.close();
      telemetry.close();
      await backend.close();
      store.close();
      keys.close();
    },
  };
}
