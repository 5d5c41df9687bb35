// nvidia-smi's loop modes, read line by line: `pmon` (per process), `dmon` (per GPU) and the
// compute-apps query with -lms. Each prints one block of rows per interval; rows carry the time
// (`-o T`, or the query's timestamp field), which is what groups them into frames, live or replayed.

/** A frame: every row of one interval, cells by column name. */
export interface TableFrame {
  /** The interval's time as printed (HH:MM:SS, or the query's timestamp to the second). */
  readonly key: string;
  readonly rows: readonly Readonly<Record<string, string>>[];
}

/**
 * `pmon`/`dmon` text with `-o T`: '#' header lines name the columns (drivers add and drop some, so
 * they are found by name), rows follow; the second header line (units) is skipped. Frames are
 * completed when a row of a later interval arrives, or by flush() (the live sampler calls it once
 * the block has stopped coming, so a frame is not held for a whole interval).
 */
export class TableStream {
  private columns: string[] | null = null;
  private pending: { key: string; rows: Record<string, string>[] } | null = null;

  push(line: string): TableFrame[] {
    const t = line.trim();
    if (t === '') return [];
    if (t.startsWith('#')) {
      const names = t.slice(1).trim().split(/\s+/);
      // The first header names the columns; the units line under it starts with HH:MM:SS or Idx.
      if (names.includes('gpu') || names.includes('Time')) this.columns = names;
      return [];
    }
    const columns = this.columns;
    if (columns === null) return [];
    const cells = t.split(/\s+/);
    const row: Record<string, string> = {};
    const cmdAt = columns.indexOf('command');
    columns.forEach((name, i) => {
      if (i === cmdAt) row[name] = cells.slice(i).join(' ');
      else if (cells[i] !== undefined) row[name] = cells[i];
    });
    const key = `${row.Date ?? ''}${row.Time ?? ''}`;
    const out: TableFrame[] = [];
    if (this.pending !== null && this.pending.key !== key) out.push(...this.flush());
    this.pending ??= { key, rows: [] };
    this.pending.rows.push(row);
    return out;
  }

  flush(): TableFrame[] {
    const p = this.pending;
    this.pending = null;
    return p === null ? [] : [p];
  }
}

/** `--query-compute-apps=timestamp,pid,gpu_uuid,used_memory --format=csv,noheader,nounits -lms N`. */
export class ComputeAppsStream {
  private pending: { key: string; rows: Record<string, string>[] } | null = null;

  push(line: string): TableFrame[] {
    const [timestamp, pid, gpuUuid, used] = line.split(',').map((s) => s.trim());
    if (timestamp === undefined || pid === undefined || gpuUuid === undefined || !/^\d+$/.test(pid)) return [];
    const key = timestamp.replace(/\.\d+$/, '');
    const out: TableFrame[] = [];
    if (this.pending !== null && this.pending.key !== key) out.push(...this.flush());
    this.pending ??= { key, rows: [] };
    this.pending.rows.push({ pid, gpu_uuid: gpuUuid, used_memory: used ?? '' });
    return out;
  }

  flush(): TableFrame[] {
    const p = this.pending;
    this.pending = null;
    return p === null ? [] : [p];
  }
}

/** A number, or null for the driver's placeholders ('-', [N/A], [Not Supported]). */
export function cell(row: Readonly<Record<string, string>>, name: string): number | null {
  const v = row[name];
  return v === undefined || !/^\d+(?:\.\d+)?$/.test(v) ? null : Number(v);
}

export interface DeviceUse {
  readonly gpuIndex: number;
  readonly smPercent: number | null;
  readonly memPercent: number | null;
  readonly powerWatts: number | null;
  readonly fbMiB: number | null;
  /** Host <-> device PCIe traffic, rx + tx, MB/s; null where the driver does not report it. */
  readonly pcieMBps: number | null;
}

/** One dmon frame (`dmon -s pumt -o T`): per GPU. */
export function deviceUses(frame: TableFrame): DeviceUse[] {
  const out: DeviceUse[] = [];
  for (const row of frame.rows) {
    const gpuIndex = cell(row, 'gpu');
    if (gpuIndex === null) continue;
    const rx = cell(row, 'rxpci');
    const tx = cell(row, 'txpci');
    out.push({
      gpuIndex,
      smPercent: cell(row, 'sm'),
      memPercent: cell(row, 'mem'),
      powerWatts: cell(row, 'pwr'),
      fbMiB: cell(row, 'fb'),
      pcieMBps: rx === null && tx === null ? null : (rx ?? 0) + (tx ?? 0),
    });
  }
  return out;
}

export interface ProcessUse {
  readonly gpuIndex: number;
  readonly pid: number;
  readonly smPercent: number | null;
  readonly fbMiB: number | null;
  readonly command: string | null;
}

/** One pmon frame (`pmon -s um -o T`): per process; an idle GPU's placeholder row is left out. */
export function processUses(frame: TableFrame): ProcessUse[] {
  const out: ProcessUse[] = [];
  for (const row of frame.rows) {
    const gpuIndex = cell(row, 'gpu');
    const pid = cell(row, 'pid');
    if (gpuIndex === null || pid === null) continue;
    const command = row.command;
    out.push({ gpuIndex, pid, smPercent: cell(row, 'sm'), fbMiB: cell(row, 'fb'), command: command === undefined || command === '-' ? null : command });
  }
  return out;
}
