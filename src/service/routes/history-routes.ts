// What the dashboard reads beyond the live stream: who the caller is, recent alerts with filters and
// counts per rule and technique, a sandbox's resource samples, network decisions and steps, and the
// reports of past red-team runs. Read-only; each route checks scope and ownership as the others do.
import { createRoute, z } from '@hono/zod-openapi';
import { ApiError, notFound } from '../api-error.js';
import { requireScope, seesAll, type Principal } from '../auth.js';
import { EventTypeSchema } from '../event-hub.js';
import { errors, json, SECURITY, type ServiceApp, type ServiceDeps } from '../route-kit.js';
import { SandboxIdParams } from '../sandbox-schemas.js';
import { SEVERITIES } from '../../detect/alert.js';

const HOUR_MS = 3600 * 1000;

export const ServiceEventSchema = z
  .object({
    type: EventTypeSchema,
    sandbox: z.string(),
    step: z.number().nullable(),
    episode: z.string().optional(),
    time: z.number().describe('Epoch ms.'),
    data: z.record(z.string(), z.unknown()).describe('The alert (or action) as on the event stream.'),
  })
  .openapi('ServiceEvent');

const AlertHistoryQuery = z.object({
  sandbox: z.string().min(1).max(128).optional(),
  rule: z.string().min(1).max(200).optional(),
  technique: z.string().min(1).max(50).optional(),
  severity: z.enum(SEVERITIES).optional(),
  since: z.coerce.number().int().nonnegative().optional().describe('Epoch ms: alerts at or after.'),
  limit: z.coerce.number().int().min(1).max(10_000).default(500),
  windowMs: z.coerce.number().int().min(1000).max(24 * HOUR_MS).default(HOUR_MS).describe('Window of the counts (default one hour).'),
});

const AlertHistorySchema = z
  .object({
    alerts: z.array(ServiceEventSchema).describe('Newest first.'),
    actions: z.array(ServiceEventSchema).describe('The guard\'s actions on those alerts.'),
    counts: z.object({ windowMs: z.number(), byRule: z.record(z.string(), z.number()), byTechnique: z.record(z.string(), z.number()) }),
  })
  .openapi('AlertHistory');

const ResourcePointSchema = z.object({ time: z.number(), cpuCores: z.number(), memoryBytes: z.number(), pids: z.number(), gpuPercent: z.number().nullable() }).openapi('ResourcePoint');

const TelemetrySchema = z
  .object({
    samples: z.array(ResourcePointSchema).describe('About one a second, the last ten minutes at most.'),
    network: z.object({
      allowed: z.number(),
      denied: z.number(),
      bytesOut: z.number(),
      bytesIn: z.number(),
      recent: z.array(
        z.object({
          time: z.number(),
          step: z.number().nullable(),
          decision: z.enum(['allowed', 'denied']),
          via: z.enum(['proxy', 'firewall']),
          target: z.string(),
          protocol: z.string().nullable(),
          bytesOut: z.number(),
          bytesIn: z.number(),
        }),
      ),
    }),
    steps: z.array(z.object({ step: z.number(), argv: z.array(z.string()), startedAt: z.number(), endedAt: z.number().nullable(), exitCode: z.number().nullable() })),
  })
  .openapi('SandboxTelemetry');

const ReportListingSchema = z
  .object({
    id: z.string(),
    startedAt: z.number(),
    endedAt: z.number(),
    host: z.string(),
    suites: z.array(z.string()),
    scenarios: z.number(),
    summary: z.record(z.string(), z.unknown()),
  })
  .openapi('RedteamReportListing');

const me = createRoute({
  method: 'get',
  path: '/v1/me',
  tags: ['keys'],
  security: SECURITY,
  summary: 'The calling key: id, name and scope (what the dashboard may offer)',
  responses: { 200: json(z.object({ keyId: z.string(), name: z.string(), scope: z.string() }).openapi('Me'), 'The caller') },
});

const alertHistory = createRoute({
  method: 'get',
  path: '/v1/alerts',
  tags: ['events'],
  security: SECURITY,
  middleware: [requireScope('events')],
  summary: 'Recent alerts the key may see (the last 10,000 kept), filtered, with the guard\'s actions and counts per rule and technique',
  request: { query: AlertHistoryQuery },
  responses: { 200: json(AlertHistorySchema, 'Alerts'), ...errors(400, 403) },
});

const telemetry = createRoute({
  method: 'get',
  path: '/v1/sandboxes/{id}/telemetry',
  tags: ['sandboxes'],
  security: SECURITY,
  middleware: [requireScope('sandboxes')],
  summary: "A sandbox's CPU, memory and GPU samples, network decisions and steps",
  request: { params: SandboxIdParams, query: z.object({ since: z.coerce.number().int().nonnegative().optional() }) },
  responses: { 200: json(TelemetrySchema, 'Telemetry'), ...errors(400, 403, 404) },
});

const latest = createRoute({
  method: 'get',
  path: '/v1/telemetry/latest',
  tags: ['sandboxes'],
  security: SECURITY,
  middleware: [requireScope('sandboxes')],
  summary: 'The latest resource sample of each sandbox the key may see',
  responses: { 200: json(z.object({ sandboxes: z.record(z.string(), ResourcePointSchema) }), 'Latest samples'), ...errors(403) },
});

const reportList = createRoute({
  method: 'get',
  path: '/v1/redteam/reports',
  tags: ['episodes'],
  security: SECURITY,
  middleware: [requireScope('episodes')],
  summary: 'Reports of past `praetor redteam` runs in the daemon\'s --reports folder, newest first (admin and read keys)',
  responses: { 200: json(z.object({ reports: z.array(ReportListingSchema) }), 'Reports'), ...errors(403) },
});

const reportGet = createRoute({
  method: 'get',
  path: '/v1/redteam/reports/{id}',
  tags: ['episodes'],
  security: SECURITY,
  middleware: [requireScope('episodes')],
  summary: 'One red-team report as `praetor redteam` wrote it (report.json)',
  request: { params: z.object({ id: z.string().min(1).max(200).openapi({ param: { name: 'id', in: 'path' } }) }) },
  responses: { 200: json(z.record(z.string(), z.unknown()).openapi('RedteamReport'), 'The report'), ...errors(403, 404) },
});

function operatorOnly(who: Principal): void {
  // Red-team runs belong to no key: they are the operator's, shown to admin and read keys.
  if (!seesAll(who)) throw new ApiError(403, 'forbidden', 'red-team reports are for admin and read keys');
}

export function registerHistoryRoutes(app: ServiceApp, deps: ServiceDeps): void {
  const { sandboxes, history, telemetry: samples, reports } = deps;
  app.openapi(me, (c) => {
    const who = c.get('principal');
    return c.json({ keyId: who.keyId, name: who.name, scope: who.scope }, 200);
  });
  app.openapi(alertHistory, (c) => {
    const who = c.get('principal');
    const q = c.req.valid('query');
    const visible = (owner: string | undefined): boolean => seesAll(who) || owner === who.keyId;
    if (!history) return c.json({ alerts: [], actions: [], counts: { windowMs: q.windowMs, byRule: {}, byTechnique: {} } }, 200);
    const found = history.query(visible, q);
    const counts = history.counts(visible, Date.now() - q.windowMs);
    return c.json({ ...found, counts: { windowMs: q.windowMs, ...counts } }, 200);
  });
  app.openapi(telemetry, (c) => {
    const record = sandboxes.get(c.get('principal'), c.req.valid('param').id);
    const since = c.req.valid('query').since;
    const t = samples?.get(record.id, since) ?? { samples: [], network: { allowed: 0, denied: 0, bytesOut: 0, bytesIn: 0, recent: [] }, steps: [] };
    return c.json(t as z.infer<typeof TelemetrySchema>, 200);
  });
  app.openapi(latest, (c) => {
    const out: Record<string, z.infer<typeof ResourcePointSchema>> = {};
    for (const s of sandboxes.list(c.get('principal'))) {
      const point = samples?.latest(s.id);
      if (point) out[s.id] = point;
    }
    return c.json({ sandboxes: out }, 200);
  });
  app.openapi(reportList, async (c) => {
    operatorOnly(c.get('principal'));
    return c.json({ reports: (await reports?.list()) ?? [] }, 200);
  });
  app.openapi(reportGet, async (c) => {
    operatorOnly(c.get('principal'));
    const id = c.req.valid('param').id;
    const report = await reports?.get(id);
    if (!report) throw notFound(`red-team report ${id}`);
    return c.json(report, 200);
  });
}
