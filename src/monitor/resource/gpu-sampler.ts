// GPU use per sandboxed process, from nvidia-smi where NVIDIA's tools are installed. A host
// without them has no GPU monitoring, and says so: nothing here invents a reading.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import type { GpuSample } from '../events.js';

export type Exec = (cmd: string, args: string[]) => Promise<string>;

export interface ComputeApp {
  readonly pid: number;
  readonly gpuUuid: string;
  /** MiB; null where the driver prints [N/A]. */
  readonly usedMemoryMiB: number | null;
}

export interface PmonRow {
  readonly gpuIndex: number;
  readonly pid: number;
  readonly type: string | null;
  /** SM utilization percent; null for '-' (no sample in the window). */
  readonly sm: number | null;
  readonly mem: number | null;
  /** Frame buffer MiB; null for '-' or a driver that prints no fb column. */
  readonly fbMiB: number | null;
  readonly command: string | null;
}

export interface PidOwner {
  sandboxId: string;
  step: number | null;
  granted: boolean;
}

export interface GpuSamplerOptions {
  exec?: Exec;
  emit: (e: GpuSample) => void;
  pidToSandbox: (pid: number) => Promise<PidOwner | null>;
  /** Default 5000: `pmon -c 1` alone takes about a second. */
  intervalMs?: number;
  now?: () => number;
  onError?: (err: unknown) => void;
}

const NVIDIA_SMI = 'nvidia-smi';
const MIB = 1024 * 1024;
const GPU_LIST_ARGS = ['--query-gpu=index,uuid', '--format=csv,noheader'];
const COMPUTE_APPS_ARGS = ['--query-compute-apps=pid,gpu_uuid,used_memory', '--format=csv,noheader,nounits'];
const PMON_ARGS = ['pmon', '-c', '1', '-s', 'um'];

/** A number, or null for the driver's placeholders ('-', [N/A], [Not Supported]...). */
function value(s: string | undefined): number | null {
  if (s === undefined || !/^\d+(?:\.\d+)?$/.test(s.trim())) return null;
  return Number(s.trim());
}

function csvRows(csv: string): string[][] {
  return csv
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '')
    .map((l) => l.split(',').map((f) => f.trim()));
}

/** `nvidia-smi --query-gpu=index,uuid --format=csv,noheader`: uuid -> index. */
export function parseGpuList(csv: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const [index, uuid] of csvRows(csv)) {
    const i = value(index);
    if (i !== null && uuid?.startsWith('GPU-')) out.set(uuid, i);
  }
  return out;
}

/** `nvidia-smi --query-compute-apps=pid,gpu_uuid,used_memory --format=csv,noheader,nounits`. */
export function parseComputeApps(csv: string): ComputeApp[] {
  const out: ComputeApp[] = [];
  for (const [pid, gpuUuid, used] of csvRows(csv)) {
    const p = value(pid);
    if (p === null || gpuUuid === undefined || !gpuUuid.startsWith('GPU-')) continue;
    out.push({ pid: p, gpuUuid, usedMemoryMiB: value(used) });
  }
  return out;
}

/**
 * `nvidia-smi pmon -c 1 -s um`. Columns differ between drivers (jpg, ofa, ccpm come and go), so
 * they are found by name in the first '#' header line rather than by position.
 */
export function parsePmon(text: string): PmonRow[] {
  let columns: string[] | null = null;
  const out: PmonRow[] = [];
  for (const line of text.split('\n')) {
    const t = line.trim();
    if (t.startsWith('#')) {
      columns ??= t.slice(1).trim().split(/\s+/);
      continue;
    }
    if (columns === null || t === '') continue;
    const cells = t.split(/\s+/);
    const cmdAt = columns.indexOf('command');
    const cell = (name: string): string | undefined => {
      const i = columns?.indexOf(name) ?? -1;
      return i < 0 || i === cmdAt ? undefined : cells[i];
    };
    const gpuIndex = value(cell('gpu'));
    const pid = value(cell('pid'));
    if (gpuIndex === null || pid === null) continue; // an idle GPU's placeholder row
    const command = cmdAt < 0 ? '' : cells.slice(cmdAt).join(' ');
    const type = cell('type');
    out.push({
      gpuIndex,
      pid,
      type: type === undefined || type === '-' ? null : type,
      sm: value(cell('sm')),
      mem: value(cell('mem')),
      fbMiB: value(cell('fb')),
      command: command === '' || command === '-' ? null : command,
    });
  }
  return out;
}

export interface GpuProcessUse {
  readonly pid: number;
  readonly gpuIndex: number;
  readonly utilizationPercent: number | null;
  readonly memoryBytes: number | null;
}

/** One entry per (GPU, process): pmon's utilization joined to compute-apps' memory, either may be missing. */
export function mergeGpuUse(gpus: Map<string, number>, apps: ComputeApp[], pmon: PmonRow[]): GpuProcessUse[] {
  const byKey = new Map<string, { pid: number; gpuIndex: number; util: number | null; mib: number | null }>();
  for (const row of pmon) {
    byKey.set(`${row.gpuIndex}:${row.pid}`, { pid: row.pid, gpuIndex: row.gpuIndex, util: row.sm, mib: row.fbMiB });
  }
  for (const app of apps) {
    const gpuIndex = gpus.get(app.gpuUuid);
    if (gpuIndex === undefined) continue;
    const key = `${gpuIndex}:${app.pid}`;
    const seen = byKey.get(key);
    if (seen === undefined) byKey.set(key, { pid: app.pid, gpuIndex, util: null, mib: app.usedMemoryMiB });
    else if (app.usedMemoryMiB !== null) seen.mib = app.usedMemoryMiB;
  }
  return [...byKey.values()].map((e) => ({
    pid: e.pid,
    gpuIndex: e.gpuIndex,
    utilizationPercent: e.util,
    memoryBytes: e.mib === null ? null : e.mib * MIB,
  }));
}

const execFileAsync = promisify(execFile);

/** No shell, a time limit: a wedged driver can hang nvidia-smi, and must not hang the sampler with it. */
const defaultExec: Exec = async (cmd, args) =>
  (await execFileAsync(cmd, args, { timeout: 15_000, maxBuffer: 4 * MIB, encoding: 'utf8' })).stdout;

export class GpuSampler {
  private readonly exec: Exec;
  private readonly intervalMs: number;
  private readonly now: () => number;
  private gpus = new Map<string, number>();
  private timer: NodeJS.Timeout | null = null;
  private inFlight = false;
  private generation = 0;

  constructor(private readonly opts: GpuSamplerOptions) {
    this.exec = opts.exec ?? defaultExec;
    this.intervalMs = opts.intervalMs ?? 5000;
    this.now = opts.now ?? Date.now;
  }

  /** nvidia-smi is on PATH, answers, and lists at least one GPU. */
  async available(): Promise<boolean> {
    try {
      this.gpus = parseGpuList(await this.exec(NVIDIA_SMI, GPU_LIST_ARGS));
      return this.gpus.size > 0;
    } catch {
      return false;
    }
  }

  /** Starts sampling if NVIDIA's tools answer; false (and nothing runs) where they do not. */
  async start(): Promise<boolean> {
    if (this.timer !== null) return true;
    const generation = ++this.generation;
    const ok = await this.available();
    // stop() called while we were asking nvidia-smi wins.
    if (!ok || generation !== this.generation || this.timer !== null) return false;
    this.timer = setInterval(() => {
      if (!this.inFlight) void this.tick();
    }, this.intervalMs);
    this.timer.unref();
    return true;
  }

  stop(): void {
    this.generation++;
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
  }

  async sampleOnce(): Promise<void> {
    const [apps, pmon] = await Promise.allSettled([
      this.exec(NVIDIA_SMI, COMPUTE_APPS_ARGS).then(parseComputeApps),
      this.exec(NVIDIA_SMI, PMON_ARGS).then(parsePmon),
    ]);
    // pmon is refused on some GPUs (MIG mode): compute-apps alone still gives memory per process.
    if (apps.status === 'rejected' && pmon.status === 'rejected') throw apps.reason;
    const appList = apps.status === 'fulfilled' ? apps.value : [];
    if (appList.some((a) => !this.gpus.has(a.gpuUuid))) await this.available();
    const uses = mergeGpuUse(this.gpus, appList, pmon.status === 'fulfilled' ? pmon.value : []);
    const owners = await this.owners([...new Set(uses.map((u) => u.pid))]);
    const time = this.now();
    for (const u of uses) {
      const owner = owners.get(u.pid);
      if (owner === undefined) continue; // not a sandboxed process
      this.opts.emit({
        kind: 'gpu-sample',
        time,
        sandboxId: owner.sandboxId,
        step: owner.step,
        pid: u.pid,
        gpuIndex: u.gpuIndex,
        utilizationPercent: u.utilizationPercent,
        memoryBytes: u.memoryBytes,
        granted: owner.granted,
      });
    }
  }

  /** Sandboxed pids and their owners; a failed lookup is reported and that pid skipped, not the sample. */
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

  private async tick(): Promise<void> {
    this.inFlight = true;
    try {
      await this.sampleOnce();
    } catch (err) {
      this.opts.onError?.(err);
    } finally {
      this.inFlight = false;
    }
  }
}
