// `praetor gc`: finds what dead praetor processes left on this host (processes, network
// namespaces, veths, cgroups, directories, slots, records) and removes it.
import { existsSync } from 'node:fs';
import { readdir, rm, stat } from 'node:fs/promises';
import { CgroupTree, detectCgroupLayout } from '../cgroup/cgroup-tree.js';
import { AddressPool } from '../network/address-pool.js';
import { listCellNamespaces } from '../network/network-cell.js';
import type { HostPaths } from './host-paths.js';
import { RecordStore, ownerAlive, processStartTime } from './sandbox-record.js';
import { teardownSandbox } from './teardown.js';
import { abandonedTemplate } from './sandbox-disk.js';

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

  // Traces first, records after: a sandbox created meanwhile then has its record seen as live,
  // instead of being taken for an orphan because its cgroup appeared after the records were read.
  const slots = await pool.claims();
  const slotOf = new Map<string, number>();
  for (const [slot, owner] of slots) slotOf.set(owner, slot);
  const traces = new Set<string>([
    ...(await cgroups.sandboxIds()),
    // praetor-world-* namespaces are the red team's fake worlds, not cells: they keep records of their own.
    ...(await listCellNamespaces()).filter((id) => !id.startsWith('world-')),
    ...slots.values(),
    ...(await listDir(`${paths.dataDir}/sandboxes`)),
  ]);
  const { records: known, errors } = await records.all();
  const problems = [...errors.map((e) => `unreadable record ${e}`)];
  const live = new Set<string>();
  for (const r of known) if (!options.all && (await ownerAlive(r))) live.add(r.id);
  const recorded = new Set(known.map((r) => r.id));

  const removed: string[] = [];
  for (const id of new Set([...known.map((r) => r.id), ...traces])) {
    if (live.has(id) || id === '') continue;
    // No record: a creation under way (the slot is claimed and the record written a moment apart)
    // or one that died before writing it. Only traces older than that moment are taken.
    if (!recorded.has(id) && !options.all && (await youngTraces(paths, id, slotOf.get(id)))) continue;
    const issues = await teardownSandbox(
      { id, slot: slotOf.get(id) ?? null, dataDir: `${paths.dataDir}/sandboxes/${id}` },
      { cgroups, pool, records, helperPath: paths.helperPath },
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
  // Templates half-written by a praetor that died while formatting them.
  for (const name of await listDir(`${paths.dataDir}/disk-templates`)) {
    if (abandonedTemplate(name, (pid) => existsSync(`/proc/${pid}`)) || (options.all && name.endsWith('.tmp'))) {
      await rm(`${paths.dataDir}/disk-templates/${name}`, { force: true });
    }
  }
  return { removed, live: [...live], problems };
}

/** Whether a record-less sandbox has a trace younger than 30 s (or its record appeared since). */
async function youngTraces(paths: HostPaths, id: string, slot: number | undefined): Promise<boolean> {
  if (await isFresh(`${paths.stateDir}/sandboxes/${id}.json`)) return true;
  if (slot !== undefined && (await isFresh(`${paths.stateDir}/slots/${slot}`))) return true;
  return isFresh(`${paths.dataDir}/sandboxes/${id}`);
}

async function isFresh(file: string): Promise<boolean> {
  try {
    return Date.now() - (await stat(file)).mtimeMs < 30_000;
  } catch {
    return false;
  }
}
