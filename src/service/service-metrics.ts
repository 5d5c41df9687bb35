// The daemon's Prometheus metrics, in a registry of its own (no process-global default registry:
// two services in one process, as in tests, keep separate counts).
import { readFileSync } from 'node:fs';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { GpuSample } from '../monitor/events.js';
import { gpuSecondsOf } from '../monitor/resource/gpu-accounting.js';

const LATENCY_BUCKETS = [0.001, 0.002, 0.003, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];

export interface MetricSources {
  readonly sandboxesAlive: () => number;
  readonly poolSize: () => number;
  /** Host pids of the guard's helper processes, whose CPU counts as the guard's. */
  readonly guardHelperPids: () => readonly number[];
}

/** CPU seconds (user + system) of a process from /proc/<pid>/stat; 0 when it is gone. */
function processCpuSeconds(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100; // utime, stime in clock ticks (USER_HZ 100)
  } catch {
    return 0;
  }
}

export class ServiceMetrics {
  readonly registry = new Registry();
  readonly sandboxesCreated: Counter<'source'>;
  readonly createSeconds: Histogram<'source'>;
  readonly execSeconds: Histogram<'kind'>;
  readonly alerts: Counter<'rule' | 'severity'>;
  readonly deniedConnections: Counter<'kind'>;
  readonly guardActions: Counter<'action' | 'ok'>;
  readonly requests: Counter<'method' | 'status'>;
  readonly gpuSeconds: Counter<'gpu' | 'granted'>;
  readonly gpuMemory: Gauge<'gpu'>;
  readonly gpuMemoryPeak: Gauge<'gpu'>;
  /** Per GPU: the frame being summed (its samples share one time) and its memory so far. */
  private readonly gpuFrames = new Map<number, { time: number; bytes: number }>();
  private readonly gpuPeaks = new Map<number, number>();

  constructor(sources: MetricSources) {
    const registers = [this.registry];
    collectDefaultMetrics({ register: this.registry, prefix: 'praetord_' });
    this.sandboxesCreated = new Counter({ name: 'praetor_sandboxes_created_total', help: 'Sandboxes created through the API', labelNames: ['source'], registers });
    this.createSeconds = new Histogram({ name: 'praetor_sandbox_create_seconds', help: 'Sandbox create latency (request to ready)', labelNames: ['source'], buckets: LATENCY_BUCKETS, registers });
    this.execSeconds = new Histogram({ name: 'praetor_exec_seconds', help: 'Exec latency over the API, guard settle included', labelNames: ['kind'], buckets: LATENCY_BUCKETS, registers });
    this.alerts = new Counter({ name: 'praetor_alerts_total', help: 'Guard alerts', labelNames: ['rule', 'severity'], registers });
    this.deniedConnections = new Counter({ name: 'praetor_denied_connections_total', help: 'Connection attempts denied (firewall or proxy)', labelNames: ['kind'], registers });
    this.guardActions = new Counter({ name: 'praetor_guard_actions_total', help: 'Enforcement actions of the guard', labelNames: ['action', 'ok'], registers });
    this.requests = new Counter({ name: 'praetor_http_requests_total', help: 'API requests by status', labelNames: ['method', 'status'], registers });
    this.gpuSeconds = new Counter({ name: 'praetor_gpu_seconds_total', help: 'GPU-seconds (SM % x interval) used by sandboxed processes, per GPU index; granted=false: a GPU the sandbox does not hold', labelNames: ['gpu', 'granted'], registers });
    this.gpuMemory = new Gauge({ name: 'praetor_gpu_memory_bytes', help: 'GPU memory held by sandboxed processes in the latest sampler frame, per GPU index', labelNames: ['gpu'], registers });
    this.gpuMemoryPeak = new Gauge({ name: 'praetor_gpu_memory_peak_bytes', help: 'Most GPU memory sandboxed processes held at once since the daemon started, per GPU index (per step and episode: the store and the export)', labelNames: ['gpu'], registers });
    new Gauge({ name: 'praetor_sandboxes_alive', help: 'Live sandboxes owned by API keys', registers, collect() { this.set(sources.sandboxesAlive()); } });
    new Gauge({ name: 'praetor_pool_idle_sandboxes', help: 'Warm sandboxes ready in the pool', registers, collect() { this.set(sources.poolSize()); } });
    new Gauge({
      name: 'praetor_guard_helper_cpu_seconds',
      help: 'CPU seconds used by the guard\'s helper processes (the process monitor); the daemon\'s own is praetord_process_cpu_seconds_total',
      registers,
      collect() {
        this.set(sources.guardHelperPids().reduce((sum, pid) => sum + processCpuSeconds(pid), 0));
      },
    });
  }

  /** One gpu-sample of the guard: its GPU-seconds, and its memory into its frame's sum on its GPU. */
  observeGpuSample(e: Pick<GpuSample, 'gpuIndex' | 'granted' | 'time' | 'memoryBytes' | 'utilizationPercent' | 'intervalMs'>): void {
    const gpu = String(e.gpuIndex);
    this.gpuSeconds.inc({ gpu, granted: String(e.granted) }, gpuSecondsOf(e));
    const last = this.gpuFrames.get(e.gpuIndex);
    const frame = last?.time === e.time ? last : { time: e.time, bytes: 0 };
    frame.bytes += e.memoryBytes ?? 0;
    this.gpuFrames.set(e.gpuIndex, frame);
    this.gpuMemory.set({ gpu }, frame.bytes);
    const peak = Math.max(frame.bytes, this.gpuPeaks.get(e.gpuIndex) ?? 0);
    this.gpuPeaks.set(e.gpuIndex, peak);
    this.gpuMemoryPeak.set({ gpu }, peak);
  }

  text(): Promise<string> {
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }
}
