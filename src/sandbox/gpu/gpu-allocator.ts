// Hands out GPUs to sandboxes: whole GPUs, or MIG instances of a GPU in MIG mode (such a GPU is
// not usable whole). A grant is exclusive unless it asks to share; a shared GPU is shared only with
// other sharing grants. `freeGpus()` is the notion of "free" that placement across nodes uses too.
import { PraetorError, errorMessage } from '../../core/errors.js';
import type { GpuClaim, GpuClaimStore } from './gpu-claims.js';
import type { GpuDevice, GpuInventorySource, MigInstance } from './gpu-inventory.js';
import { parseSelector, type GpuRequest } from './gpu-selector.js';

/** One grantable unit: a whole GPU, or one MIG instance of a GPU in MIG mode. */
export interface GpuUnit {
  /** What CUDA_VISIBLE_DEVICES names: the GPU's uuid, or the MIG instance's. */
  readonly uuid: string;
  readonly gpuIndex: number;
  readonly gpuUuid: string;
  readonly name: string;
  /** Minor number of the GPU's /dev/nvidiaN. */
  readonly minor: number;
  readonly memoryMiB: number | null;
  readonly mig: MigInstance | null;
}

export interface GpuGrant {
  readonly units: readonly GpuUnit[];
  readonly shared: boolean;
}

export interface GpuUnitState extends GpuUnit {
  /** Sandboxes holding it now. */
  readonly heldBy: readonly string[];
  /** Whether every holder shares it (a sharing grant may still join). */
  readonly shared: boolean;
}

export function unitsOf(gpus: readonly GpuDevice[]): GpuUnit[] {
  const out: GpuUnit[] = [];
  for (const g of [...gpus].sort((a, b) => a.index - b.index)) {
    const base = { gpuIndex: g.index, gpuUuid: g.uuid, name: g.name, minor: g.minor, memoryMiB: g.memoryMiB };
    if (!g.migEnabled) out.push({ ...base, uuid: g.uuid, mig: null });
    else for (const m of g.mig) out.push({ ...base, uuid: m.uuid, mig: m, name: `${g.name} MIG ${m.profile}` });
  }
  return out;
}

/** The label a unit goes by in messages: `GPU 1`, or `MIG 0:2 (3g.20gb)`. */
export function unitLabel(u: GpuUnit): string {
  return u.mig === null ? `GPU ${u.gpuIndex}` : `MIG ${u.gpuIndex}:${u.mig.device} (${u.mig.profile})`;
}

export class GpuAllocator {
  private inventory: Promise<GpuDevice[]> | null = null;

  constructor(
    private readonly source: GpuInventorySource,
    private readonly claims: GpuClaimStore,
  ) {}

  /** The host's GPUs, read once; a host where nvidia-smi can not run or lists none is a typed error. */
  async gpus(): Promise<GpuDevice[]> {
    this.inventory ??= this.source.read().catch((err: unknown) => {
      this.inventory = null;
      const missing = (err as NodeJS.ErrnoException).code === 'ENOENT';
      throw new PraetorError(
        'host-unsupported',
        missing
          ? 'a GPU was asked for but this host has no NVIDIA GPU (nvidia-smi is not installed)'
          : `a GPU was asked for but nvidia-smi fails on this host: ${errorMessage(err).split('\n')[0] ?? ''}`,
      );
    });
    const gpus = await this.inventory;
    if (gpus.length === 0) throw new PraetorError('host-unsupported', 'a GPU was asked for but this host has no NVIDIA GPU (nvidia-smi lists none)');
    return gpus;
  }

  /** Every grantable unit with who holds it. */
  async state(): Promise<GpuUnitState[]> {
    const [gpus, claims] = await Promise.all([this.gpus(), this.claims.claims()]);
    return unitsOf(gpus).map((u) => {
      const held = claims.filter((c) => c.unit === u.uuid);
      return { ...u, heldBy: held.map((c) => c.sandboxId), shared: held.length > 0 && held.every((c) => c.shared) };
    });
  }

  /** Units nobody holds: what an exclusive grant can take (the fleet places GPU requests by it). */
  async freeGpus(): Promise<GpuUnit[]> {
    return (await this.state()).filter((u) => u.heldBy.length === 0).map(({ heldBy: _h, shared: _s, ...unit }) => unit);
  }

  /**
   * Picks and claims the units of a request for `sandboxId`; nothing stays claimed when it fails.
   * Another praetor process may claim a unit between the look and the claim: a count then picks
   * again from what is left.
   */
  async allocate(sandboxId: string, request: GpuRequest, shared = false): Promise<GpuGrant> {
    for (let attempt = 1; ; attempt++) {
      const state = await this.state();
      const usable = (u: GpuUnitState): boolean => u.heldBy.length === 0 || (shared && u.shared);
      const wanted = typeof request === 'number' ? this.pickCount(state, request, usable) : this.pickNamed(state, request, usable);
      const won: GpuUnit[] = [];
      for (const u of wanted) {
        if (!(await this.claims.claim(u.uuid, sandboxId, shared))) break;
        won.push(u);
      }
      if (won.length === wanted.length) return { units: won, shared };
      await this.claims.release(sandboxId);
      const lost = wanted[won.length];
      if (typeof request !== 'number' || attempt >= 8) {
        throw new PraetorError('host-unsupported', `${lost === undefined ? 'a GPU' : unitLabel(lost)} was taken by another sandbox meanwhile`);
      }
    }
  }

  async release(sandboxId: string): Promise<void> {
    await this.claims.release(sandboxId);
  }

  /** Live claims, for inspection. */
  async held(): Promise<GpuClaim[]> {
    return this.claims.claims();
  }

  private pickCount(state: GpuUnitState[], count: number, usable: (u: GpuUnitState) => boolean): GpuUnit[] {
    // Whole GPUs before MIG slices, lowest index first: a count asks for compute, not a profile.
    const free = state.filter(usable).sort((a, b) => Number(a.mig !== null) - Number(b.mig !== null) || a.gpuIndex - b.gpuIndex);
    if (count > state.length) {
      throw new PraetorError('host-unsupported', `${count} GPUs asked for but this host has ${state.length} (${state.map(unitLabel).join(', ')})`);
    }
    if (free.length < count) {
      const holders = [...new Set(state.flatMap((u) => u.heldBy))].join(', ');
      throw new PraetorError('host-unsupported', `no free GPU: ${count} asked for, ${free.length} of ${state.length} free (held by ${holders})`);
    }
    return free.slice(0, count);
  }

  private pickNamed(state: GpuUnitState[], selectors: readonly string[], usable: (u: GpuUnitState) => boolean): GpuUnit[] {
    const picked: GpuUnitState[] = [];
    for (const text of selectors) {
      const sel = parseSelector(text);
      let unit: GpuUnitState | undefined;
      switch (sel.kind) {
        case 'index':
        case 'uuid': {
          const whole = state.filter((u) => (sel.kind === 'index' ? u.gpuIndex === sel.index : u.gpuUuid === sel.uuid));
          if (whole.length > 0 && whole.every((u) => u.mig !== null)) {
            throw new PraetorError('invalid-config', `GPU ${whole[0]?.gpuIndex ?? text} is in MIG mode: ask for one of its MIG instances (${whole.map((u) => `${u.gpuIndex}:${u.mig?.device ?? ''}`).join(', ')})`);
          }
          unit = whole[0];
          break;
        }
        case 'mig':
          unit = state.find((u) => u.mig !== null && u.gpuIndex === sel.index && u.mig.device === sel.device);
          break;
        case 'mig-uuid':
          unit = state.find((u) => u.uuid === sel.uuid);
          break;
      }
      if (unit === undefined) throw new PraetorError('invalid-config', `no GPU ${text} on this host (it has ${state.map(unitLabel).join(', ')})`);
      if (picked.includes(unit)) throw new PraetorError('invalid-config', `${unitLabel(unit)} is named twice`);
      if (!usable(unit)) throw new PraetorError('host-unsupported', `${unitLabel(unit)} is not free: held by ${unit.heldBy.join(', ')}`);
      picked.push(unit);
    }
    return picked;
  }
}
