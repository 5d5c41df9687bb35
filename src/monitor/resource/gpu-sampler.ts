// GPU use per sandboxed process at 1 s resolution, from long-lived nvidia-smi loops: `pmon`
// (per process SM % and memory), `dmon` (per GPU power, SM % and PCIe traffic), and on MIG hosts,
// where pmon is refused, the compute-apps query (memory only). One process per loop for the
// sampler's whole life instead of a poll per interval: nvidia-smi takes about a second to start.
// A loop that dies blinds the sampler: it reports the failure (MonitorSource) and the guard holds
// the sandboxes that hold GPUs until it is back. Nothing here invents a reading.
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import type { GpuSample } from '../events.js';
import { FailureListeners, type MonitorFailureListener, type MonitorSource } from '../../sandbox/monitor-source.js';
import { defaultExec, NVIDIA_SMI, parseGpuQuery, INVENTORY_QUERY, type Exec } from '../../sandbox/gpu/gpu-inventory.js';
import { ComputeAppsStream, TableStream, cell, deviceUses, processUses, type DeviceUse, type TableFrame } from './gpu-streams.js';
import { GpuProfiler } from './gpu-profile.js';
import { gpuSecondsOf } from './gpu-accounting.js';

export const GPU_INTERVAL_MS = 1000;
export const PMON_ARGS = ['pmon', '-s', 'um', '-o', 'T', '-d', '1'];
export const DMON_ARGS = ['dmon', '-s', 'pumt', '-o', 'T', '-d', '1'];
export const APPS_ARGS = ['--query-compute-apps=timestamp,pid,gpu_uuid,used_memory', '--format=csv,noheader,nounits', `-lms`, String(GPU_INTERVAL_MS)];
/** A block of rows is complete once no line came for this long (rows of one interval come at once). */
const QUIET_MS = 150;
const MIB = 2 ** 20;

/** A long-lived command's output, line by line. */
export interface LineSource {
  onLine(listener: (line: string) => void): void;
  /** Called once when it ends, with why. */
  onExit(listener: (reason: string) => void): void;
  kill(): void;
}
export type StreamSpawner = (args: readonly string[]) => LineSource;

export interface PidOwner {
  readonly sandboxId: string;
  readonly step: number | null;
}

/** What the sampler emits; the guard completes it (granted, stepRunning, minerEvidence). */
export type RawGpuSample = Omit<GpuSample, 'granted' | 'stepRunning' | 'minerEvidence'>;

export interface GpuSamplerOptions {
  readonly exec?: Exec;
  readonly spawnStream?: StreamSpawner;
  readonly emit: (e: RawGpuSample) => void;
  readonly pidToSandbox: (pid: number) => Promise<PidOwner | null>;
  /** Sandboxes that hold GPUs: the ones a sampler outage blinds. */
  readonly grantedSandboxes?: () => readonly string[];
  readonly now?: () => number;
  readonly onError?: (err: unknown) => void;
}

const defaultSpawner: StreamSpawner = (args) => {
  const child = spawn(NVIDIA_SMI, [...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (c: Buffer) => (stderr = (stderr + c.toString()).slice(-500)));
  const lines = createInterface({ input: child.stdout });
  const exits: ((reason: string) => void)[] = [];
  let ended = false;
  const end = (reason: string): void => {
    if (ended) return;
    ended = true;
    for (const l of exits) l(reason);
  };
  child.on('error', (err) => end(`nvidia-smi ${args[0] ?? ''}: ${err.message}`));
  child.on('exit', (code, signal) => end(`nvidia-smi ${args[0] ?? ''} exited (${code ?? signal})${stderr.trim() ? `: ${stderr.trim().split('\n')[0] ?? ''}` : ''}`));
  child.unref();
  return {
    onLine: (l) => lines.on('line', l),
    onExit: (l) => exits.push(l),
    kill: () => child.kill('SIGKILL'),
  };
};

interface Loop {
  readonly source: LineSource;
  readonly flush: () => void;
}

export class GpuSampler implements MonitorSource {
  readonly name = 'gpu-sampler';
  private readonly exec: Exec;
  private readonly spawnStream: StreamSpawner;
  private readonly now: () => number;
  private readonly failures = new FailureListeners();
  private readonly profiler = new GpuProfiler();
  private loops: Loop[] = [];
  private running = false;
  private uuids = new Map<number, string>();
  private indexes = new Map<string, number>();
  private devices = new Map<number, DeviceUse>();
  private chain: Promise<void> = Promise.resolve();
  private readonly attributed = new Map<number, number>();
  private lastFrameTime = 0;

  constructor(private readonly opts: GpuSamplerOptions) {
    this.exec = opts.exec ?? defaultExec;
    this.spawnStream = opts.spawnStream ?? defaultSpawner;
    this.now = opts.now ?? Date.now;
  }

  /** nvidia-smi answers and lists at least one GPU. */
  async available(): Promise<boolean> {
    try {
      return (await this.inventory()) > 0;
    } catch {
      return false;
    }
  }

  private async inventory(): Promise<number> {
    const gpus = parseGpuQuery(await this.exec(NVIDIA_SMI, INVENTORY_QUERY));
    this.uuids = new Map(gpus.map((g) => [g.index, g.uuid]));
    this.indexes = new Map(gpus.map((g) => [g.uuid, g.index]));
    return gpus.some((g) => g.migEnabled) ? -gpus.length : gpus.length;
  }

  /** Starts the loops; rejects where nvidia-smi does not answer or lists no GPU. */
  async start(): Promise<void> {
    if (this.running) return;
    const n = await this.inventory();
    if (n === 0) throw new Error('nvidia-smi lists no GPU');
    this.running = true;
    const dmon = new TableStream();
    this.loops.push(this.loop(DMON_ARGS, dmon, (f) => this.onDevices(f)));
    if (n > 0) {
      const pmon = new TableStream();
      this.loops.push(this.loop(PMON_ARGS, pmon, (f) => this.onProcesses(f, 'pmon')));
    } else {
      // pmon is refused in MIG mode; compute-apps still names each process and its memory.
      const apps = new ComputeAppsStream();
      this.loops.push(this.loop(APPS_ARGS, apps, (f) => this.onProcesses(f, 'apps')));
    }
  }

  stop(): void {
    this.running = false;
    for (const l of this.loops.splice(0)) l.source.kill();
  }

  onFailure(listener: MonitorFailureListener): () => void {
    return this.failures.add(listener);
  }

  /** Waits until every frame read so far has been emitted (tests and the replay bench). */
  async settle(): Promise<void> {
    for (const l of this.loops) l.flush();
    await this.chain;
  }

  /** GPU-seconds (SM-utilisation weighted) attributed to sandboxed processes so far, per GPU index. */
  totals(): ReadonlyMap<number, number> {
    return this.attributed;
  }

  private loop(args: readonly string[], stream: TableStream | ComputeAppsStream, onFrame: (f: TableFrame) => void): Loop {
    const source = this.spawnStream(args);
    let quiet: NodeJS.Timeout | null = null;
    const flush = (): void => {
      if (quiet !== null) clearTimeout(quiet);
      quiet = null;
      for (const f of stream.flush()) onFrame(f);
    };
    source.onLine((line) => {
      for (const f of stream.push(line)) onFrame(f);
      if (quiet !== null) clearTimeout(quiet);
      quiet = setTimeout(flush, QUIET_MS);
      quiet.unref();
    });
    source.onExit((reason) => {
      flush();
      if (!this.running) return;
      this.stop();
      const failure = { monitor: this.name, reason, time: this.now(), sandboxIds: this.opts.grantedSandboxes?.() ?? null };
      // After the frames already read: their samples go out before the outage is reported.
      this.chain = this.chain.then(() => this.failures.emit(failure));
    });
    return { source, flush };
  }

  private onDevices(frame: TableFrame): void {
    for (const d of deviceUses(frame)) this.devices.set(d.gpuIndex, d);
  }

  private onProcesses(frame: TableFrame, kind: 'pmon' | 'apps'): void {
    const uses =
      kind === 'pmon'
        ? processUses(frame).map((u) => ({ gpuIndex: u.gpuIndex, pid: u.pid, sm: u.smPercent, fbMiB: u.fbMiB }))
        : frame.rows.flatMap((r) => {
            const pid = cell(r, 'pid');
            const gpuIndex = this.indexes.get(r.gpu_uuid ?? '');
            return pid === null || gpuIndex === undefined ? [] : [{ gpuIndex, pid, sm: null, fbMiB: cell(r, 'used_memory') }];
          });
    // One time for every sample of a frame, and a later one for each later frame: accounting sums
    // the memory of a step's processes per frame by this time (gpu-accounting.ts).
    const time = Math.max(this.now(), this.lastFrameTime + 1);
    this.lastFrameTime = time;
    // Samples leave in frame order: owner lookups are awaited one frame after another.
    this.chain = this.chain.then(async () => {
      const owners = await this.owners([...new Set(uses.map((u) => u.pid))]);
      const seen = new Set<string>();
      for (const u of uses) {
        seen.add(`${u.pid}:${u.gpuIndex}`);
        const device = this.devices.get(u.gpuIndex);
        const profile = this.profiler.add(u.pid, u.gpuIndex, { smPercent: u.sm, fbMiB: u.fbMiB, pcieMBps: device?.pcieMBps ?? null });
        const owner = owners.get(u.pid);
        if (owner === undefined) continue; // not a sandboxed process
        const sample: RawGpuSample = {
          kind: 'gpu-sample',
          time,
          sandboxId: owner.sandboxId,
          step: owner.step,
          pid: u.pid,
          gpuIndex: u.gpuIndex,
          gpuUuid: this.uuids.get(u.gpuIndex) ?? null,
          utilizationPercent: u.sm,
          memoryBytes: u.fbMiB === null ? null : u.fbMiB * MIB,
          intervalMs: GPU_INTERVAL_MS,
          gpuPowerWatts: device?.powerWatts ?? null,
          gpuUtilizationPercent: device?.smPercent ?? null,
          pcieMBps: device?.pcieMBps ?? null,
          profile,
        };
        this.attributed.set(u.gpuIndex, (this.attributed.get(u.gpuIndex) ?? 0) + gpuSecondsOf(sample));
        this.opts.emit(sample);
      }
      this.profiler.keepOnly(seen);
    });
  }

  /** Sandboxed pids and their owners; a failed lookup is reported and that pid skipped, not the frame. */
  private async owners(pids: number[]): Promise<Map<number, PidOwner>> {
    const settled = await Promise.allSettled(pids.map(async (pid) => this.opts.pidToSandbox(pid)));
    const out = new Map<number, PidOwner>();
    settled.forEach((r, i) => {
      const pid = pids[i];
      if (r.status === 'rejected') this.opts.onError?.(r.reason);
      else if (r.value !== null && pid !== undefined) out.set(pid, r.value);
    });
    return out;
  }
}
