// The device cgroup of a GPU grant: a cgroup v2 device program (native/praetor-devfilter.c) on the
// sandbox's v2 cgroup (the unified hierarchy on a hybrid host) that denies NVIDIA's major 195 except
// the granted GPUs' minors and nvidiactl. The binding keeps other GPUs' nodes out of the sandbox's
// /dev; this makes the kernel refuse them even where a node is reachable anyway (mknod, a path
// leaked in). A grant whose filter can not be attached is refused: fail closed.
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { PraetorError } from '../../core/errors.js';
import { CGROUP_PARENT, type CgroupLayout } from '../cgroup/cgroup-layout.js';
import type { GpuGrant } from './gpu-allocator.js';

/** NVIDIA's character major for /dev/nvidiaN (minor N) and /dev/nvidiactl (minor 255). */
export const NVIDIA_MAJOR = 195;
export const NVIDIACTL_MINOR = 255;

/** Pure: the helper's rules for a grant (MAJOR:MINOR,...: that major denied except those minors). */
export function deviceFilterRules(grant: GpuGrant): string[] {
  const minors = [...new Set(grant.units.map((u) => u.minor))].sort((a, b) => a - b);
  return [`${NVIDIA_MAJOR}:${[...minors, NVIDIACTL_MINOR].join(',')}`];
}

/** The sandbox's cgroup in the v2 hierarchy; null where the host mounts none. */
export function deviceFilterDir(layout: CgroupLayout, sandboxId: string): string | null {
  const root = layout.kind === 'v2' ? layout.root : layout.unified;
  return root === null ? null : `${root}/${CGROUP_PARENT}/${sandboxId}`;
}

export function devfilterHelperPath(env: NodeJS.ProcessEnv = process.env): string {
  return env.PRAETOR_DEVFILTER ?? fileURLToPath(new URL('../../../native/build/praetor-devfilter', import.meta.url));
}

/** Attaches the filter; any failure is one host-unsupported line (the caller refuses the grant). */
export function attachDeviceFilter(cgroupDir: string | null, rules: readonly string[], helper = devfilterHelperPath()): Promise<void> {
  const refuse = (why: string): PraetorError =>
    new PraetorError('host-unsupported', `the GPU grant is refused: the cgroup v2 device filter could not be attached (${why})`);
  if (cgroupDir === null) return Promise.reject(refuse('no cgroup v2 hierarchy is mounted'));
  return new Promise((resolve, reject) => {
    execFile(helper, [cgroupDir, ...rules], { timeout: 10_000 }, (err, _stdout, stderr) => {
      if (err === null) resolve();
      else reject(refuse(stderr.trim().split('\n')[0] || (err.message.split('\n')[0] ?? 'failed')));
    });
  });
}
