// Each step runs in a cgroup leaf of its own, matched by a firewall rule of the cell that names the
// step in its log prefix. Both are made ahead of use, in growing batches in the background, so an
// exec never waits for nft.
import { PraetorError, errorMessage } from '../../core/errors.js';
import type { CgroupTree } from '../cgroup/cgroup-tree.js';
import { addCellStepRules } from '../network/network-cell.js';
import type { StepMatch } from '../network/nft-ruleset.js';

/** Steps whose cgroup and firewall rule exist ahead of use. */
export const STEP_PREALLOCATION = 8;
/**
 * Each refill prepares as many steps as are prepared already, up to this: a long episode runs nft
 * (and nsenter) a logarithmic number of times, not once every few steps, and at most about half
 * of what is prepared goes unused (an empty cgroup and a rule, removed with the sandbox).
 */
const MAX_REFILL = 64;

/** How many steps the next refill prepares, given how many are prepared. */
export function refillSize(prepared: number): number {
  return Math.min(MAX_REFILL, Math.max(STEP_PREALLOCATION, prepared));
}

export function stepLeaf(step: number): string {
  return `step-${step}`;
}

/** Makes the leaves of steps `from`..`to`; the firewall matches of those the cell's rules can name. */
export async function stepMatches(cgroups: CgroupTree, sandboxId: string, from: number, to: number): Promise<StepMatch[]> {
  const matches: StepMatch[] = [];
  for (let step = from; step <= to; step++) {
    const paths = await cgroups.createLeaf(sandboxId, stepLeaf(step));
    if (paths.nftPath !== null) matches.push({ step, cgroupPath: paths.nftPath, level: paths.nftLevel });
  }
  return matches;
}

/** The steps prepared for one sandbox, topped up before they run out. */
export class StepLeaves {
  private preparing: Promise<void> | null = null;
  private prepareError: unknown = null;

  constructor(
    private readonly cgroups: CgroupTree,
    private readonly sandboxId: string,
    private prepared: number,
  ) {}

  /** Resolves once `step` is prepared; starts the next batch when half of what is left is used. */
  async ensure(step: number): Promise<void> {
    if (step + STEP_PREALLOCATION / 2 > this.prepared && this.preparing === null) {
      const from = this.prepared + 1;
      const to = this.prepared + refillSize(this.prepared);
      // Runs in the background; a failure (the sandbox destroyed meanwhile, say) is kept for the
      // exec that needs those steps instead of surfacing as an unhandled rejection.
      this.preparing = stepMatches(this.cgroups, this.sandboxId, from, to)
        .then((matches) => addCellStepRules(this.sandboxId, matches))
        .then(
          () => {
            this.prepared = to;
            this.prepareError = null;
          },
          (err: unknown) => {
            this.prepareError = err;
          },
        )
        .finally(() => {
          this.preparing = null;
        });
    }
    while (step > this.prepared) {
      if (this.preparing !== null) await this.preparing;
      else if (this.prepareError !== null) {
        throw new PraetorError('sandbox-failure', `could not prepare step ${step}: ${errorMessage(this.prepareError)}`);
      } else await this.ensure(step);
    }
  }
}
