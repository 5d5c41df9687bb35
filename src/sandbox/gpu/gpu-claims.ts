// Who holds which GPU. Claims are files created with O_EXCL under the state directory, so two
// praetor processes (two `praetor run --gpus 1`, a daemon beside them) never hand out one GPU twice;
// a claim whose owner process is gone is free again. The in-memory store serves tests and fakes.
import { mkdir, open, readdir, readFile, rm } from 'node:fs/promises';

export interface GpuClaim {
  /** The GPU's or MIG instance's uuid. */
  readonly unit: string;
  readonly sandboxId: string;
  readonly shared: boolean;
}

export interface GpuClaimStore {
  /** Claims `unit` for the sandbox; false when a live claim conflicts (any claim, for an exclusive one). */
  claim(unit: string, sandboxId: string, shared: boolean): Promise<boolean>;
  /** Drops every claim of the sandbox. */
  release(sandboxId: string): Promise<void>;
  /** The live claims. */
  claims(): Promise<GpuClaim[]>;
}

function conflicts(existing: readonly GpuClaim[], unit: string, sandboxId: string, shared: boolean): boolean {
  return existing.some((c) => c.unit === unit && c.sandboxId !== sandboxId && (!shared || !c.shared));
}

export class MemoryGpuClaims implements GpuClaimStore {
  private readonly held: GpuClaim[] = [];

  claim(unit: string, sandboxId: string, shared: boolean): Promise<boolean> {
    if (conflicts(this.held, unit, sandboxId, shared)) return Promise.resolve(false);
    this.held.push({ unit, sandboxId, shared });
    return Promise.resolve(true);
  }

  release(sandboxId: string): Promise<void> {
    for (let i = this.held.length - 1; i >= 0; i--) if (this.held[i]?.sandboxId === sandboxId) this.held.splice(i, 1);
    return Promise.resolve();
  }

  claims(): Promise<GpuClaim[]> {
    return Promise.resolve([...this.held]);
  }
}

interface ClaimFile {
  readonly sandboxId: string;
  readonly pid: number;
  readonly startTime: string;
}

/** Whether the process that wrote a claim still runs (the same process: pid and start time). */
export type OwnerAlive = (pid: number, startTime: string) => Promise<boolean>;

/**
 * `<unit>` is an exclusive claim, `<unit>~<sandboxId>` a shared one. Creating the file is the
 * claim; a second look after creating it settles a race between an exclusive and a shared claimer
 * (both may lose, never both win).
 */
export class FileGpuClaims implements GpuClaimStore {
  constructor(
    private readonly dir: string,
    private readonly owner: { readonly pid: number; readonly startTime: string },
    private readonly alive: OwnerAlive,
  ) {}

  async claim(unit: string, sandboxId: string, shared: boolean): Promise<boolean> {
    await mkdir(this.dir, { recursive: true, mode: 0o700 });
    if (conflicts(await this.claims(), unit, sandboxId, shared)) return false;
    const name = shared ? `${unit}~${sandboxId}` : unit;
    try {
      const handle = await open(`${this.dir}/${name}`, 'wx', 0o600);
      const body: ClaimFile = { sandboxId, pid: this.owner.pid, startTime: this.owner.startTime };
      await handle.writeFile(JSON.stringify(body));
      await handle.close();
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
      throw err;
    }
    if (conflicts(await this.claims(), unit, sandboxId, shared)) {
      await rm(`${this.dir}/${name}`, { force: true });
      return false;
    }
    return true;
  }

  async release(sandboxId: string): Promise<void> {
    for (const { name, file } of await this.read()) if (file?.sandboxId === sandboxId) await rm(`${this.dir}/${name}`, { force: true });
  }

  /** Live claims; the files of dead owners are removed on the way (they hold nothing). */
  async claims(): Promise<GpuClaim[]> {
    const out: GpuClaim[] = [];
    for (const { name, file } of await this.read()) {
      // A claim being written (empty for a moment) counts as held: never hand out a GPU on a guess.
      if (file !== null && !(await this.alive(file.pid, file.startTime))) {
        await rm(`${this.dir}/${name}`, { force: true });
        continue;
      }
      const tilde = name.indexOf('~');
      out.push({ unit: tilde < 0 ? name : name.slice(0, tilde), sandboxId: file?.sandboxId ?? '(being claimed)', shared: tilde >= 0 });
    }
    return out;
  }

  private async read(): Promise<{ name: string; file: ClaimFile | null }[]> {
    const names = await readdir(this.dir).catch(() => [] as string[]);
    return Promise.all(
      names.map(async (name) => {
        const text = await readFile(`${this.dir}/${name}`, 'utf8').catch(() => '');
        try {
          return { name, file: JSON.parse(text) as ClaimFile };
        } catch {
          return { name, file: null };
        }
      }),
    );
  }
}
