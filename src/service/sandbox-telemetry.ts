// What the dashboard draws per sandbox and the event stream does not keep: CPU, memory and GPU
// samples over the last minutes, network decisions (allowed, denied, bytes), and the steps with
// their commands. Fed by one subscription to `guard.events` for these kinds only; bounded per
// sandbox and in sandboxes (the oldest are forgotten first), so it can not grow with uptime.
import type { GuardEvents } from '../guard/guard-events.js';

export const MAX_SAMPLES = 600;
const MAX_DECISIONS = 200;
const MAX_STEPS = 500;
const MAX_SANDBOXES = 2_000;

export interface ResourcePoint {
  readonly time: number;
  readonly cpuCores: number;
  readonly memoryBytes: number;
  readonly pids: number;
  /** GPU utilisation (percent, summed over the sandbox's processes) at the nearest GPU sample. */
  readonly gpuPercent: number | null;
}

export interface NetworkDecision {
  readonly time: number;
  readonly step: number | null;
  readonly decision: 'allowed' | 'denied';
  /** proxy (CONNECT, HTTP, SOCKS5) or firewall (a connection the cell refused). */
  readonly via: 'proxy' | 'firewall';
  readonly target: string;
  readonly protocol: string | null;
  readonly bytesOut: number;
  readonly bytesIn: number;
}

export interface StepView {
  readonly step: number;
  readonly argv: readonly string[];
  readonly startedAt: number;
  readonly endedAt: number | null;
  readonly exitCode: number | null;
}

export interface Telemetry {
  readonly samples: ResourcePoint[];
  readonly network: { allowed: number; denied: number; bytesOut: number; bytesIn: number; recent: NetworkDecision[] };
  readonly steps: StepView[];
}

const fresh = (): Telemetry => ({ samples: [], network: { allowed: 0, denied: 0, bytesOut: 0, bytesIn: 0, recent: [] }, steps: [] });

function capped<T>(list: T[], item: T, max: number): void {
  list.push(item);
  if (list.length > max + 50) list.splice(0, list.length - max);
}

export class SandboxTelemetry {
  private readonly bySandbox = new Map<string, Telemetry>();
  /** The last GPU utilisation seen per sandbox and pid, folded into the next resource sample. */
  private readonly gpu = new Map<string, Map<number, number>>();
  private readonly stop: () => void;

  constructor(events: GuardEvents) {
    this.stop = events.subscribe({ kinds: ['resource-sample', 'gpu-sample', 'proxy-connection', 'network-denied', 'step-start', 'step-end'] }, (e) => {
      const t = this.of(e.sandboxId);
      switch (e.kind) {
        case 'resource-sample': {
          if (e.scope !== 'sandbox') return;
          const gpu = this.gpu.get(e.sandboxId);
          const gpuPercent = gpu && gpu.size > 0 ? [...gpu.values()].reduce((a, b) => a + b, 0) : null;
          capped(t.samples, { time: e.time, cpuCores: e.cpuCores, memoryBytes: e.memoryBytes, pids: e.pids, gpuPercent }, MAX_SAMPLES);
          return;
        }
        case 'gpu-sample': {
          const gpu = this.gpu.get(e.sandboxId) ?? new Map<number, number>();
          gpu.set(e.pid, e.utilizationPercent ?? 0);
          this.gpu.set(e.sandboxId, gpu);
          return;
        }
        case 'proxy-connection':
          this.decide(t, { time: e.time, step: e.step, decision: e.decision, via: 'proxy', target: `${e.host}:${e.port}`, protocol: e.protocol, bytesOut: e.bytesOut, bytesIn: e.bytesIn });
          return;
        case 'network-denied':
          this.decide(t, { time: e.time, step: e.step, decision: 'denied', via: 'firewall', target: `${e.dstAddress}${e.dstPort === null ? '' : `:${e.dstPort}`}`, protocol: e.protocol, bytesOut: 0, bytesIn: 0 });
          return;
        case 'step-start':
          if (e.step !== null) capped(t.steps, { step: e.step, argv: e.argv, startedAt: e.time, endedAt: null, exitCode: null }, MAX_STEPS);
          return;
        case 'step-end': {
          for (let i = t.steps.length - 1; i >= 0; i--) {
            const s = t.steps[i];
            if (s?.step !== e.step) continue;
            t.steps[i] = { ...s, endedAt: e.time, exitCode: e.exitCode };
            break;
          }
          return;
        }
      }
    });
  }

  private decide(t: Telemetry, d: NetworkDecision): void {
    const n = t.network;
    if (d.decision === 'allowed') n.allowed++;
    else n.denied++;
    n.bytesOut += d.bytesOut;
    n.bytesIn += d.bytesIn;
    capped(n.recent, d, MAX_DECISIONS);
  }

  private of(id: string): Telemetry {
    let t = this.bySandbox.get(id);
    if (!t) {
      t = fresh();
      this.bySandbox.set(id, t);
      if (this.bySandbox.size > MAX_SANDBOXES) {
        const oldest = this.bySandbox.keys().next().value;
        if (oldest !== undefined) {
          this.bySandbox.delete(oldest);
          this.gpu.delete(oldest);
        }
      }
    }
    return t;
  }

  /** A sandbox's telemetry (empty when nothing was seen yet); samples since `since` when given. */
  get(id: string, since?: number): Telemetry {
    const t = this.bySandbox.get(id) ?? fresh();
    return since === undefined ? t : { ...t, samples: t.samples.filter((s) => s.time >= since) };
  }

  /** The latest sample of each sandbox, for the list view. */
  latest(id: string): ResourcePoint | null {
    return this.bySandbox.get(id)?.samples.at(-1) ?? null;
  }

  forget(id: string): void {
    this.bySandbox.delete(id);
    this.gpu.delete(id);
  }

  close(): void {
    this.stop();
  }
}
