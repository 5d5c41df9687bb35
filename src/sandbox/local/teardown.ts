// Removes every trace of one sandbox: processes, network namespace (and its veth), cgroups,
// disk, directories, network slot and record. Used by destroy() and by `praetor gc` alike, and safe
// to run on a half-created or already half-removed sandbox.
import { rm } from 'node:fs/promises';
import type { CgroupTree } from '../cgroup/cgroup-tree.js';
import type { AddressPool } from '../network/address-pool.js';
import { deleteCellNamespace } from '../network/network-cell.js';
import type { RecordStore } from './sandbox-record.js';
import { problemCollector } from '../../core/errors.js';
import { detachDisk } from './sandbox-disk.js';

export interface TeardownTarget {
  readonly id: string;
  readonly slot: number | null;
  readonly dataDir: string | null;
}

export interface TeardownDeps {
  readonly cgroups: CgroupTree;
  readonly pool: AddressPool;
  readonly records: RecordStore;
  /** praetor-spawn, which detaches the sandbox's disk. */
  readonly helperPath: string;
  /**
   * Runs once the sandbox's processes are dead: the live backend's reader of denials reads the
   * last ones and closes its socket in the cell, which holds the namespace (and so the veth) until
   * then. Absent for gc: a dead praetor's reader died with it.
   */
  readonly processesGone?: () => Promise<void>;
}

/** Returns the problems met; every step is tried even when an earlier one failed. */
export async function teardownSandbox(target: TeardownTarget, deps: TeardownDeps): Promise<string[]> {
  const { problems, attempt } = problemCollector();
  // The disk does not wait for the rest: it is detached lazily (a process still inside keeps using
  // it until it is killed), and detaching waits on the kernel, not the CPU.
  const dir = target.dataDir;
  await Promise.all([
    (async () => {
      // Network first: whatever else fails, the sandbox must not keep a way out.
      await attempt('network namespace', () => deleteCellNamespace(target.id));
      await attempt('processes', () => deps.cgroups.kill(target.id));
      const processesGone = deps.processesGone;
      if (processesGone) await attempt('denial reader', processesGone);
      await attempt('cgroups', () => deps.cgroups.removeSandbox(target.id));
    })(),
    (async () => {
      if (dir === null) return;
      // Detached first, so the removal below takes the mount point, not the disk's files (the
      // image has no name: the kernel frees it once the loop device lets go).
      await attempt('disk', () => detachDisk(deps.helperPath, dir));
      await attempt('directories', () => rm(dir, { recursive: true, force: true }));
    })(),
  ]);
  if (target.slot !== null) {
    const slot = target.slot;
    await attempt('network slot', () => deps.pool.release(slot));
  }
  await attempt('record', () => deps.records.remove(target.id));
  return problems;
}
