// Which sandbox, and which leaf of it, a host process belongs to, from the text of
// /proc/<pid>/cgroup: the kernel's own record, which a process inside can not rewrite.
import { CGROUP_PARENT } from '../../sandbox/cgroup/cgroup-layout.js';

export interface ProcCgroup {
  readonly sandboxId: string;
  /** 'init' or 'step-N'; '' for a process in the sandbox's own cgroup (v1 allows that). */
  readonly leaf: string;
}

/** The kernel marks the path of a removed cgroup this way (a zombie outliving its cgroup). */
const DELETED = ' (deleted)';

function praetorPath(path: string): ProcCgroup | null {
  const clean = path.endsWith(DELETED) ? path.slice(0, -DELETED.length) : path;
  const parts = clean.split('/');
  // '/praetor/<id>/<leaf>' splits to ['', 'praetor', id, leaf, ...deeper cgroups the sandbox made].
  if (parts[0] !== '' || parts[1] !== CGROUP_PARENT) return null;
  const sandboxId = parts[2];
  if (sandboxId === undefined || sandboxId === '' || sandboxId === '.' || sandboxId === '..') return null;
  return { sandboxId, leaf: parts[3] ?? '' };
}

/**
 * Lines are `hierarchy-id:controllers:path` (v1: `12:pids:/praetor/sb/step-3`; v2: `0::/...`;
 * hybrid hosts list both plus named ones such as `1:name=systemd:/...`). The first line that
 * places the process in a leaf of praetor's wins; failing that, the first under praetor's cgroup
 * at all (v1 hierarchies with sandbox-wide control hold processes in the sandbox's cgroup itself).
 */
export function parseProcCgroup(text: string): ProcCgroup | null {
  let sandboxOnly: ProcCgroup | null = null;
  for (const line of text.split('\n')) {
    const first = line.indexOf(':');
    const second = first < 0 ? -1 : line.indexOf(':', first + 1);
    if (second < 0) continue;
    // The path is everything after the second colon: a cgroup name may itself hold colons.
    const found = praetorPath(line.slice(second + 1));
    if (found !== null && found.leaf !== '') return found;
    sandboxOnly ??= found;
  }
  return sandboxOnly;
}

/** The step number of a 'step-N' leaf; null for 'init', '' or anything else. */
export function stepOfLeaf(leaf: string): number | null {
  const m = /^step-(\d{1,9})$/.exec(leaf);
  return m?.[1] === undefined ? null : Number(m[1]);
}
