// The daemon's API as the dashboard calls it: same origin, the session cookie, and the header that
// marks a dashboard request (the daemon refuses a state-changing cookie request without it).
export interface Me {
  keyId: string;
  name: string;
  scope: 'admin' | 'sandboxes' | 'envs' | 'read';
}

export interface ServiceEvent {
  type: string;
  sandbox: string;
  step: number | null;
  episode?: string;
  time: number;
  data: Record<string, unknown>;
}

export interface AlertData {
  id: string;
  ruleId: string;
  title: string;
  technique: string;
  severity: 'low' | 'medium' | 'high' | 'critical';
  time: number;
  sandboxId: string;
  step: number | null;
  pid: number | null;
  argv: string[] | null;
  evidence: Record<string, unknown>[];
  description: string;
}

export interface ActionData {
  time: number;
  sandboxId: string;
  alertId: string;
  action: string;
  target: string | null;
  ok: boolean;
  error: string | null;
}

export interface AlertHistory {
  alerts: ServiceEvent[];
  actions: ServiceEvent[];
  counts: { windowMs: number; byRule: Record<string, number>; byTechnique: Record<string, number> };
}

export interface SandboxView {
  id: string;
  owner: string;
  createdAt: number;
  state: 'running' | 'frozen' | 'destroyed';
  steps: number;
  options: { cpus: number; memory: number; pids: number; disk: number; gpu: boolean; guardMode: string; allowDomains: string[]; labels: Record<string, string> };
}

export interface ResourcePoint {
  time: number;
  cpuCores: number;
  memoryBytes: number;
  pids: number;
  gpuPercent: number | null;
}

export interface Telemetry {
  samples: ResourcePoint[];
  network: {
    allowed: number;
    denied: number;
    bytesOut: number;
    bytesIn: number;
    recent: { time: number; step: number | null; decision: 'allowed' | 'denied'; via: string; target: string; protocol: string | null; bytesOut: number; bytesIn: number }[];
  };
  steps: { step: number; argv: string[]; startedAt: number; endedAt: number | null; exitCode: number | null }[];
}

export interface EpisodeAlert {
  id: string;
  ruleId: string;
  technique: string;
  severity: string;
  step: number | null;
  sandboxStep: number | null;
  time: number;
  description: string;
}

export interface EpisodeStep {
  index: number;
  turn?: string;
  action?: { id: string; name: string; arguments: Record<string, unknown> };
  message?: string;
  observation: { content: string; isError: boolean; denied: boolean } | null;
  startedAt: number;
  endedAt: number;
  sandboxSteps: number[];
  resources?: { cpuSeconds?: number; memoryBytes?: number };
  gpu?: GpuUse;
  alerts: EpisodeAlert[];
  policy: { decision: string; final?: string; ruleId?: string | null; kind?: string; subject?: string }[];
}

export interface GpuUse {
  gpuSeconds: number;
  peakMemoryBytes: number;
}

export interface Episode {
  id: string;
  taskId: string;
  task: { instruction: string };
  sandboxId: string;
  policy: string;
  status: string;
  statusReason?: string;
  startedAt: number;
  endedAt: number | null;
  outcome: { verifierReward: number | null; safetyLabel: 'clean' | 'flagged'; penalty: number; reward: number; alertCounts: Record<string, number> } | null;
  gpu?: GpuUse;
}

export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

const HEADERS = { 'x-praetor-ui': '1' };

export async function api<T>(path: string, init: { method?: string; body?: unknown } = {}): Promise<T> {
  const res = await fetch(path, {
    method: init.method ?? 'GET',
    credentials: 'same-origin',
    headers: init.body === undefined ? HEADERS : { ...HEADERS, 'content-type': 'application/json' },
    ...(init.body === undefined ? {} : { body: JSON.stringify(init.body) }),
  });
  if (!res.ok) {
    const body = (await res.json().catch(() => ({}))) as { error?: { message?: string } };
    throw new HttpError(res.status, body.error?.message ?? `${res.status} ${res.statusText}`);
  }
  return (res.status === 204 ? undefined : await res.json()) as T;
}

/** Whether this key may freeze, thaw or destroy a sandbox owned by `owner`. */
export function mayChange(me: Me, owner: string): boolean {
  return me.scope === 'admin' || (me.scope === 'sandboxes' && me.keyId === owner);
}
