// Where a sandbox's cgroups live, for pure cgroup v2 hosts and for v1/hybrid hosts.
// Pure functions over the text of /proc/self/mounts, so both layouts are unit-tested here.
import { PraetorError } from '../../core/errors.js';

export type V1Controller = 'cpu' | 'cpuacct' | 'memory' | 'pids' | 'freezer';
const V1_CONTROLLERS: readonly V1Controller[] = ['cpu', 'cpuacct', 'memory', 'pids', 'freezer'];

export type CgroupLayout =
  | { readonly kind: 'v2'; readonly root: string }
  | {
      readonly kind: 'v1';
      readonly controllers: Readonly<Record<V1Controller, string>>;
      /** The v2 hierarchy mounted beside v1 (hybrid); used for membership and firewall matching. */
      readonly unified: string | null;
    };

/** Everything about one cgroup leaf (the sandbox init, or one step) that praetor writes or reads. */
export interface LeafPaths {
  /** The leaf's own directories, one per hierarchy that keeps leaves apart (its parents exist). */
  readonly leafDirs: readonly string[];
  /**
   * cgroup.procs files a process writes its pid into to join the leaf: the leaf's own first (the
   * first of all is where the leaf's members are listed), then, on v1, the sandbox's cgroup in
   * the hierarchies whose control is sandbox-wide.
   */
  readonly procsFiles: readonly string[];
  /** Path of the leaf in the v2 hierarchy relative to /sys/fs/cgroup, as nft's `socket cgroupv2` wants it. */
  readonly nftPath: string | null;
  /** Depth of the leaf below the v2 root (nft's `level`). */
  readonly nftLevel: number;
}

/**
 * v1 hierarchies where each leaf gets a cgroup of its own: a step's CPU time, memory and task
 * count are read there, and its members listed (to kill the step, to attribute a process).
 */
const PER_LEAF_V1: readonly V1Controller[] = ['cpuacct', 'memory', 'pids'];
/**
 * v1 hierarchies whose control is sandbox-wide (the CPU quota, freezing): a process joins the
 * sandbox's cgroup itself, which v1 allows, and no step cgroup is made there (two mkdirs and two
 * rmdirs a step fewer).
 */
const SANDBOX_WIDE_V1: readonly V1Controller[] = ['cpu', 'freezer'];

export const CGROUP_PARENT = 'praetor';
const SYS_FS_CGROUP = '/sys/fs/cgroup';

export function parseCgroupLayout(mounts: string): CgroupLayout {
  let v2: string | null = null;
  const v1: Partial<Record<V1Controller, string>> = {};
  for (const line of mounts.split('\n')) {
    const [, mountPoint, fsType, opts] = line.split(' ');
    if (mountPoint === undefined || fsType === undefined) continue;
    if (fsType === 'cgroup2') {
      if (v2 === null || mountPoint === SYS_FS_CGROUP) v2 = mountPoint;
    } else if (fsType === 'cgroup') {
      const options = (opts ?? '').split(',');
      for (const c of V1_CONTROLLERS) if (options.includes(c) && v1[c] === undefined) v1[c] = mountPoint;
    }
  }
  const missing = V1_CONTROLLERS.filter((c) => v1[c] === undefined);
  if (missing.length === 0) return { kind: 'v1', controllers: v1 as Record<V1Controller, string>, unified: v2 };
  if (v2 !== null) return { kind: 'v2', root: v2 };
  // `ip netns exec` remounts /sys, and with it the cgroup hierarchies, out of sight.
  throw new PraetorError(
    'host-unsupported',
    `no usable cgroup hierarchy: need cgroup v2, or v1 with ${V1_CONTROLLERS.join(', ')} (missing ${missing.join(', ')}); ` +
      'is /sys/fs/cgroup mounted here? (`ip netns exec` hides it)',
  );
}

function nftRelative(v2Root: string): string {
  if (v2Root === SYS_FS_CGROUP) return '';
  if (v2Root.startsWith(`${SYS_FS_CGROUP}/`)) return `${v2Root.slice(SYS_FS_CGROUP.length + 1)}/`;
  return '';
}

/** The v1 controller directories (or the v2 directory) of the sandbox itself, where limits are set. */
export function sandboxDirs(layout: CgroupLayout, sandboxId: string): Record<string, string> {
  if (layout.kind === 'v2') return { v2: `${layout.root}/${CGROUP_PARENT}/${sandboxId}` };
  const dirs: Record<string, string> = {};
  for (const c of V1_CONTROLLERS) dirs[c] = `${layout.controllers[c]}/${CGROUP_PARENT}/${sandboxId}`;
  if (layout.unified !== null) dirs.unified = `${layout.unified}/${CGROUP_PARENT}/${sandboxId}`;
  return dirs;
}

/**
 * The sandbox's directories that list every process of it, leaves included: the v2 cgroup, or on
 * v1 the freezer's (sandbox-wide: each process joins it). The spawner empties them when praetor dies.
 */
export function reapDirs(layout: CgroupLayout, sandboxId: string): string[] {
  const dirs = sandboxDirs(layout, sandboxId);
  return [layout.kind === 'v2' ? (dirs.v2 ?? '') : (dirs.freezer ?? '')];
}

export function leafPaths(layout: CgroupLayout, sandboxId: string, leaf: string): LeafPaths {
  const perLeaf =
    layout.kind === 'v2'
      ? [layout.root]
      : [...new Set(PER_LEAF_V1.map((c) => layout.controllers[c])), ...(layout.unified ? [layout.unified] : [])];
  const wide = layout.kind === 'v2' ? [] : [...new Set(SANDBOX_WIDE_V1.map((c) => layout.controllers[c]))].filter((r) => !perLeaf.includes(r));
  const leafDirs = perLeaf.map((root) => `${root}/${CGROUP_PARENT}/${sandboxId}/${leaf}`);
  const v2Root = layout.kind === 'v2' ? layout.root : layout.unified;
  return {
    leafDirs,
    procsFiles: [...leafDirs, ...wide.map((root) => `${root}/${CGROUP_PARENT}/${sandboxId}`)].map((d) => `${d}/cgroup.procs`),
    nftPath: v2Root === null ? null : `${nftRelative(v2Root)}${CGROUP_PARENT}/${sandboxId}/${leaf}`,
    nftLevel: 3,
  };
}

export interface CgroupLimits {
  readonly cpus: number;
  readonly memoryBytes: number;
  readonly pids: number;
}

export const CPU_PERIOD_US = 100_000;

/** The control-file writes that impose the limits on a sandbox's cgroup. */
export function limitWrites(layout: CgroupLayout, sandboxId: string, limits: CgroupLimits): [string, string][] {
  const quota = Math.max(1000, Math.round(limits.cpus * CPU_PERIOD_US));
  const dirs = sandboxDirs(layout, sandboxId);
  if (layout.kind === 'v2') {
    const d = dirs.v2;
    return [
      [`${d}/cpu.max`, `${quota} ${CPU_PERIOD_US}`],
      [`${d}/memory.max`, String(limits.memoryBytes)],
      [`${d}/memory.swap.max`, '0'],
      [`${d}/pids.max`, String(limits.pids)],
    ];
  }
  return [
    [`${dirs.cpu}/cpu.cfs_period_us`, String(CPU_PERIOD_US)],
    [`${dirs.cpu}/cpu.cfs_quota_us`, String(quota)],
    [`${dirs.memory}/memory.limit_in_bytes`, String(limits.memoryBytes)],
    [`${dirs.pids}/pids.max`, String(limits.pids)],
  ];
}

/** Every directory of a sandbox (each hierarchy), deepest last, so removal goes in reverse. */
export function sandboxRoots(layout: CgroupLayout): string[] {
  if (layout.kind === 'v2') return [`${layout.root}/${CGROUP_PARENT}`];
  const roots = new Set(V1_CONTROLLERS.map((c) => `${layout.controllers[c]}/${CGROUP_PARENT}`));
  if (layout.unified) roots.add(`${layout.unified}/${CGROUP_PARENT}`);
  return [...roots];
}
