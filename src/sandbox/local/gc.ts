// `praetor gc`: finds what dead praetor processes left on this host (processes, network
// namespaces, veths, cgroups, directories, slots, records) and removes it.
import { readdir, rm, stat } from 'node:fs/promises';
import { CgroupTree, detectCgroupLayout } from '../cgroup/cgroup-tree.js';
import { AddressPool } from '../network/address-pool.js';
import { listCellNamespaces } from '../network/network-cell.js';
import type { HostPaths } from './host-paths.js';
import { RecordStore, ownerAlive, processStartTime } from './sandbox-record.js';
import { teardownSandbox } from './teardown.js';

export interface GcReport {
  /** Sandbox ids whose traces were removed. */
  readonly removed: string[];
  /** Sandboxes left alone because their praetor is alive. */
  readonly live: string[];
  readonly problems: string[];
}

async function listDir(dir: string): Promise<string[]> {
  try {
    return await readdir(dir);
  } catch {
    return [];
  }
}

export async function collectGarbage(paths: HostPaths, options: { all?: boolean } = {}): Promise<GcReport> {
  const cgroups = new CgroupTree(await detectCgroupLayout());
  const pool = new AddressPool(`${paths.stateDir}/slots`);
  const records = new RecordStore(`${paths.stateDir}/sandboxes`);
  const { records: known, errors } = await records.all();
  const problems = [...errors.map((e) => `unreadable record ${e}`)];
  const live = new Set<string>();
  for (const r of known) if (!options.all && (await ownerAlive(r))) live.add(r.id);

  const slots = await pool.claims();
  const slotOf = new Map<string, number>();
  for (const [slot, owner] of slots) slotOf.set(owner, slot);

  const candidates = new Set<string>([
    ...known.map((r) => r.id),
    ...(await cgroups.sandboxIds()),
    ...(await listCellNamespaces()),
    ...slots.values(),
    ...(await listDir(`${paths.dataDir}/sandboxes`)),
  ]);
  const recorded = new Set(known.map((r) => r.id));
  const removed: string[] = [];
  for (const id of candidates) {
    if (live.has(id) || id === '') continue;
    // A slot is claimed a moment before its record is written: leave fresh claims alone.
    const slot = slotOf.get(id);
    if (!recorded.has(id) && slot !== undefined && !options.all && (await isFresh(`${paths.stateDir}/slots/${slot}`))) continue;
    const issues = await teardownSandbox(
      { id, slot: slotOf.get(id) ?? null, dataDir: `${paths.dataDir}/sandboxes/${id}` },
      { cgroups, pool, records },
    );
    removed.push(id);
    problems.push(...issues.map((p) => `${id}: ${p}`));
  }
  for (const name of await listDir(paths.stateDir)) {
    const m = /^seccomp-(\d+)\.bpf$/.exec(name);
    if (m && (options.all || (await processStartTime(Number(m[1]))) === null)) {
      await rm(`${paths.stateDir}/${name}`, { force: true });
    }
  }
  return { removed, live: [...live], problems };
}

async function isFresh(file: string): Promise<boolean> {
  try {
    return Date.now() - (await stat(file)).mtimeMs < 30_000;
  } catch {
    return false;
  }
}
