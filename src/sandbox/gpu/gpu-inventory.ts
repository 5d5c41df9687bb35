// The NVIDIA GPUs of this host and their MIG instances, from nvidia-smi's query and listing
// modes. The source is injectable (an `Exec`, a /proc root), so tests replay recorded outputs.
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { promisify } from 'node:util';

/** Runs a command and resolves to its stdout; rejects when it can not run or fails. */
export type Exec = (cmd: string, args: readonly string[]) => Promise<string>;

export interface MigInstance {
  /** `MIG-<uuid>` (R470+) or `MIG-GPU-<uuid>/<gi>/<ci>` (older drivers). */
  readonly uuid: string;
  /** Index of the MIG device on its GPU, as `nvidia-smi -L` numbers it. */
  readonly device: number;
  /** The profile, e.g. `3g.20gb`. */
  readonly profile: string;
}

export interface GpuDevice {
  readonly index: number;
  readonly uuid: string;
  readonly name: string;
  readonly memoryMiB: number | null;
  readonly migEnabled: boolean;
  /** PCI bus id as nvidia-smi prints it (`00000000:07:00.0`); null where not queried. */
  readonly pciBusId: string | null;
  /** Minor number of its /dev/nvidiaN node (from /proc/driver/nvidia; the index where that is unreadable). */
  readonly minor: number;
  readonly mig: readonly MigInstance[];
}

export interface GpuInventorySource {
  /** Every GPU of the host; rejects when the driver's tools can not be run (nvidia-smi missing or failing). */
  read(): Promise<GpuDevice[]>;
}

export const NVIDIA_SMI = 'nvidia-smi';
export const INVENTORY_QUERY = ['--query-gpu=index,uuid,name,memory.total,mig.mode.current,pci.bus_id', '--format=csv,noheader'];
export const LISTING_ARGS = ['-L'];

/** A number, or null for the driver's placeholders ([N/A], [Not Supported], '-'). */
export function numberOrNull(s: string | undefined): number | null {
  if (s === undefined) return null;
  const m = /^(\d+(?:\.\d+)?)(?:\s*[A-Za-z%/]+)?$/.exec(s.trim());
  return m ? Number(m[1]) : null;
}

function csvRows(csv: string): string[][] {
  return csv
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '')
    .map((l) => l.split(',').map((f) => f.trim()));
}

export interface QueriedGpu {
  readonly index: number;
  readonly uuid: string;
  readonly name: string;
  readonly memoryMiB: number | null;
  readonly migEnabled: boolean;
  readonly pciBusId: string | null;
}

/** `nvidia-smi --query-gpu=index,uuid,name,memory.total,mig.mode.current,pci.bus_id --format=csv,noheader`. */
export function parseGpuQuery(csv: string): QueriedGpu[] {
  const out: QueriedGpu[] = [];
  for (const [index, uuid, name, memory, mig, bus] of csvRows(csv)) {
    const i = numberOrNull(index);
    if (i === null || uuid === undefined || !uuid.startsWith('GPU-')) continue;
    out.push({
      index: i,
      uuid,
      name: name ?? '',
      memoryMiB: numberOrNull(memory),
      migEnabled: mig === 'Enabled',
      pciBusId: bus !== undefined && /^[0-9A-Fa-f]{4,8}:[0-9A-Fa-f]{2}:[0-9A-Fa-f]{2}\.[0-7]$/.test(bus) ? bus : null,
    });
  }
  return out;
}

/** `nvidia-smi -L`: GPU uuid -> its MIG instances (an empty list for a GPU without). */
export function parseGpuListing(text: string): Map<string, MigInstance[]> {
  const out = new Map<string, MigInstance[]>();
  let current: MigInstance[] | null = null;
  for (const line of text.split('\n')) {
    const gpu = /^GPU\s+\d+:.*\(UUID:\s*(GPU-[0-9A-Fa-f-]+)\)/.exec(line.trim());
    if (gpu?.[1] !== undefined) {
      current = [];
      out.set(gpu[1], current);
      continue;
    }
    const mig = /^MIG\s+(\S+)\s+Device\s+(\d+):\s*\(UUID:\s*(MIG-[^)\s]+)\)/.exec(line.trim());
    if (mig !== null && current !== null) current.push({ profile: mig[1] ?? '', device: Number(mig[2]), uuid: mig[3] ?? '' });
  }
  return out;
}

/** `/proc/driver/nvidia/gpus/<bus>/information` names the node's minor number ("Device Minor: 0"). */
export function parseDeviceMinor(information: string): number | null {
  const m = /^Device Minor:\s*(\d+)\s*$/m.exec(information);
  return m ? Number(m[1]) : null;
}

/** nvidia-smi prints an 8-digit PCI domain in upper case; /proc/driver/nvidia uses 4 digits, lower case. */
export function procBusId(pciBusId: string): string {
  const [domain = '', ...rest] = pciBusId.toLowerCase().split(':');
  return [domain.slice(-4).padStart(4, '0'), ...rest].join(':');
}

const execFileAsync = promisify(execFile);

/** No shell, a time limit: a wedged driver can hang nvidia-smi. */
export const defaultExec: Exec = async (cmd, args) =>
  (await execFileAsync(cmd, [...args], { timeout: 15_000, maxBuffer: 4 * 2 ** 20, encoding: 'utf8' })).stdout;

export interface NvidiaSmiInventoryOptions {
  readonly exec?: Exec;
  /** Where /proc/driver/nvidia is looked up (tests point it at a fixture tree). */
  readonly procRoot?: string;
}

/** The inventory as nvidia-smi reports it. */
export class NvidiaSmiInventory implements GpuInventorySource {
  private readonly exec: Exec;
  private readonly procRoot: string;

  constructor(options: NvidiaSmiInventoryOptions = {}) {
    this.exec = options.exec ?? defaultExec;
    this.procRoot = options.procRoot ?? '/proc';
  }

  async read(): Promise<GpuDevice[]> {
    const gpus = parseGpuQuery(await this.exec(NVIDIA_SMI, INVENTORY_QUERY));
    // The listing is needed only for MIG instances; a failure there leaves them out, not the GPUs.
    const listing = gpus.some((g) => g.migEnabled) ? parseGpuListing(await this.exec(NVIDIA_SMI, LISTING_ARGS)) : new Map<string, MigInstance[]>();
    return Promise.all(
      gpus.map(async (g) => ({
        ...g,
        minor: (await this.minorOf(g.pciBusId)) ?? g.index,
        mig: g.migEnabled ? (listing.get(g.uuid) ?? []) : [],
      })),
    );
  }

  private async minorOf(pciBusId: string | null): Promise<number | null> {
    if (pciBusId === null) return null;
    const text = await readFile(`${this.procRoot}/driver/nvidia/gpus/${procBusId(pciBusId)}/information`, 'utf8').catch(() => null);
    return text === null ? null : parseDeviceMinor(text);
  }
}
