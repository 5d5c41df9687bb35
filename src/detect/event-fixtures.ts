// Builders of synthetic guard events for rule tests and examples: every field filled with a plausible
// default (sandbox sb-1, step 1, a fixed epoch), so a test states only what it is about.
import type {
  FileWriteEvent,
  GpuSample,
  NetworkDeniedEvent,
  NetworkDroppedEvent,
  ProcessStartEvent,
  ProxyConnectionEvent,
  ResourceSample,
} from '../monitor/events.js';

export const T0 = 1_700_000_000_000;

type Base = { time?: number; sandboxId?: string; step?: number | null };

function base(o: Base): { time: number; sandboxId: string; step: number | null } {
  return { time: o.time ?? T0, sandboxId: o.sandboxId ?? 'sb-1', step: o.step === undefined ? 1 : o.step };
}

/** A process start; exe defaults to argv[0] when absolute, else /usr/bin/argv[0]. */
export function processStart(argv: readonly string[], o: Base & Partial<Pick<ProcessStartEvent, 'pid' | 'exe' | 'cwd' | 'uid' | 'ppid'>> = {}): ProcessStartEvent {
  const first = argv[0] ?? '';
  return {
    kind: 'process-start',
    ...base(o),
    pid: o.pid ?? 4242,
    ppid: o.ppid ?? 1,
    uid: o.uid ?? 1000,
    exe: o.exe !== undefined ? o.exe : first.startsWith('/') ? first : `/usr/bin/${first}`,
    argv,
    cwd: o.cwd ?? '/workspace',
  };
}

export function networkDenied(dstAddress: string, dstPort: number | null, o: Base & { protocol?: NetworkDeniedEvent['protocol'] } = {}): NetworkDeniedEvent {
  return { kind: 'network-denied', ...base(o), protocol: o.protocol ?? 'tcp', dstAddress, dstPort };
}

export function networkDropped(dropped: number | null, o: Base = {}): NetworkDroppedEvent {
  return { kind: 'network-dropped', ...base(o), step: o.step ?? null, dropped };
}

export function proxyConnection(
  host: string,
  port: number,
  o: Base &
    Partial<
      Pick<
        ProxyConnectionEvent,
        'pid' | 'method' | 'decision' | 'reason' | 'resolvedAddress' | 'addressClass' | 'frontedHost' | 'protocol' | 'protocolDetail' | 'bytesOut' | 'bytesIn'
      >
    > = {},
): ProxyConnectionEvent {
  const decision = o.decision ?? 'allowed';
  return {
    kind: 'proxy-connection',
    ...base(o),
    pid: o.pid ?? null,
    method: o.method ?? 'CONNECT',
    host,
    port,
    decision,
    reason: o.reason ?? (decision === 'allowed' ? 'allowed by rule' : 'not in allow list'),
    resolvedAddress: o.resolvedAddress ?? null,
    addressClass: o.addressClass ?? null,
    frontedHost: o.frontedHost ?? null,
    protocol: o.protocol ?? 'tls',
    protocolDetail: o.protocolDetail ?? null,
    bytesOut: o.bytesOut ?? 0,
    bytesIn: o.bytesIn ?? 0,
  };
}

export function resourceSample(o: Base & Partial<Omit<ResourceSample, 'kind' | 'time' | 'sandboxId' | 'step'>> = {}): ResourceSample {
  return {
    kind: 'resource-sample',
    ...base(o),
    scope: o.scope ?? 'step',
    cpuSeconds: o.cpuSeconds ?? 0,
    cpuCores: o.cpuCores ?? 0,
    intervalMs: o.intervalMs ?? 1000,
    memoryBytes: o.memoryBytes ?? 50_000_000,
    pids: o.pids ?? 1,
    stepRunning: o.stepRunning === undefined ? true : o.stepRunning,
  };
}

export function gpuSample(o: Base & Partial<Omit<GpuSample, 'kind' | 'time' | 'sandboxId' | 'step'>> = {}): GpuSample {
  return {
    kind: 'gpu-sample',
    ...base(o),
    pid: o.pid ?? 4242,
    gpuIndex: o.gpuIndex ?? 0,
    utilizationPercent: o.utilizationPercent === undefined ? 0 : o.utilizationPercent,
    memoryBytes: o.memoryBytes === undefined ? 0 : o.memoryBytes,
    gpuUuid: o.gpuUuid ?? null,
    intervalMs: o.intervalMs ?? 1000,
    gpuPowerWatts: o.gpuPowerWatts ?? null,
    gpuUtilizationPercent: o.gpuUtilizationPercent ?? null,
    pcieMBps: o.pcieMBps ?? null,
    profile: o.profile ?? 'unknown',
    granted: o.granted ?? false,
    stepRunning: o.stepRunning === undefined ? true : o.stepRunning,
    minerEvidence: o.minerEvidence ?? null,
  };
}

export function fileWrite(path: string, o: Base = {}): FileWriteEvent {
  return { kind: 'file-write', ...base(o), path };
}

/** Samples of one step every second from `from` for `seconds`, with the given fields. */
export function samplesOverTime(seconds: number, o: Base & Partial<Omit<ResourceSample, 'kind' | 'time'>>, from = T0): ResourceSample[] {
  return Array.from({ length: seconds + 1 }, (_, i) => resourceSample({ ...o, time: from + i * 1000 }));
}
