// Builders of synthetic guard events for rule tests and examples: every field filled with a plausible
// default (sandbox sb-1, step 1, a fixed epoch), so a test states only what it is about.
import type {
  FileOpenEvent,
  FileWriteEvent,
  PolicyVerdictEvent,
  ProcessSocketsEvent,
  GpuSample,
  NetworkDeniedEvent,
  NetworkDroppedEvent,
  ProcessStartEvent,
  ProxyConnectionEvent,
  ResourceSample,
  StepUsageEvent,
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

/** A process-sockets event: by default a shell whose three standard streams are one TCP socket, at its exec. */
export function processSockets(argv: readonly string[], o: Base & Partial<Omit<ProcessSocketsEvent, 'kind' | 'time' | 'sandboxId' | 'step' | 'argv'>> = {}): ProcessSocketsEvent {
  const first = argv[0] ?? '';
  return {
    kind: 'process-sockets',
    ...base(o),
    via: o.via ?? 'exec',
    pid: o.pid ?? 4243,
    ppid: o.ppid ?? 4242,
    exe: o.exe !== undefined ? o.exe : first.startsWith('/') ? first : `/usr/bin/${first}`,
    argv,
    stdio: o.stdio ?? ['tcp', 'tcp', 'tcp'],
    netSockets: o.netSockets ?? 1,
    listenPorts: o.listenPorts ?? [],
    remote: o.remote ?? '203.0.113.9:443',
    parentExe: o.parentExe ?? null,
    parentNetSockets: o.parentNetSockets ?? 0,
    ancestorsText: o.ancestorsText ?? null,
  };
}

export function policyVerdict(target: string, o: Base & Partial<Omit<PolicyVerdictEvent, 'kind' | 'time' | 'sandboxId' | 'step' | 'target'>> = {}): PolicyVerdictEvent {
  return {
    kind: 'policy-verdict',
    ...base(o),
    source: o.source ?? 'exec',
    target,
    decision: o.decision ?? 'deny',
    final: o.final ?? 'deny',
    policyRule: o.policyRule ?? 'no-miners',
    technique: o.technique === undefined ? 'T1496' : o.technique,
    pid: o.pid ?? null,
  };
}

export function fileOpen(path: string, o: Base & Partial<Omit<FileOpenEvent, 'kind' | 'time' | 'sandboxId' | 'step' | 'path'>> = {}): FileOpenEvent {
  return {
    kind: 'file-open',
    ...base(o),
    pid: o.pid ?? 4242,
    path,
    watch: o.watch ?? 'bait',
    label: o.label ?? 'aws',
    exe: o.exe ?? '/usr/bin/python3',
    argv: o.argv ?? ['python3', '-c', `open('${path}').read()`],
  };
}

/** A step-usage event: by default a 9 s step that kept one core busy on pure computation. */
export function stepUsage(o: Base & Partial<Omit<StepUsageEvent, 'kind' | 'time' | 'sandboxId' | 'step'>> = {}): StepUsageEvent {
  return {
    kind: 'step-usage',
    ...base(o),
    wallMs: o.wallMs ?? 9000,
    cpuSeconds: o.cpuSeconds ?? 8.9,
    cores: o.cores ?? 0.99,
    demandCores: o.demandCores ?? 1,
    userShare: o.userShare ?? 0.99,
    execs: o.execs ?? 3,
    ioPerCpuSecond: o.ioPerCpuSecond ?? 20_000,
    peakMemoryBytes: o.peakMemoryBytes === undefined ? 12e6 : o.peakMemoryBytes,
  };
}
