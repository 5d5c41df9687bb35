// Shared pieces of the security-invariant tests: a backend per test file, a shell helper, and
// the list of host-side traces a sandbox leaves (used to prove destroy and gc remove them all).
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import type { ExecOptions, ExecResult, Sandbox } from '../backend.js';
import { LocalBackend, type LocalBackendOptions } from '../local/local-backend.js';
import { defaultHostPaths } from '../local/host-paths.js';
import { detectCgroupLayout } from '../cgroup/cgroup-tree.js';
import { sandboxDirs } from '../cgroup/cgroup-layout.js';

export function newBackend(options: LocalBackendOptions = {}): LocalBackend {
  if (process.getuid?.() !== 0) {
    // Never skip silently: these tests are the proof of containment.
    throw new Error('security invariant tests need root (CI runs as root); run them with sudo');
  }
  return new LocalBackend(options);
}

export async function sh(sandbox: Sandbox, script: string, options: ExecOptions = {}): Promise<ExecResult & { out: string; err: string }> {
  const r = await sandbox.exec(['sh', '-c', script], options);
  return { ...r, out: r.stdout.toString(), err: r.stderr.toString() };
}

/** Live (not zombie) host pids whose real uid is `uid`. */
export function pidsOfUid(uid: number): number[] {
  const pids: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const status = readFileSync(`/proc/${name}/status`, 'utf8');
      const m = /^Uid:\s+(\d+)/m.exec(status);
      if (m && Number(m[1]) === uid && !/^State:\s+Z/m.test(status)) pids.push(Number(name));
    } catch {
      // exited while we looked
    }
  }
  return pids;
}

/** A control file of the sandbox's cgroup for one controller (v1) or its only cgroup (v2). */
export async function sandboxCgroupFile(id: string, controller: 'pids' | 'memory', file: string): Promise<string> {
  const dirs = sandboxDirs(await detectCgroupLayout(), id);
  return `${dirs[controller] ?? dirs.v2}/${file}`;
}

export interface HostTraces {
  netns: boolean;
  veth: boolean;
  cgroups: string[];
  dataDir: boolean;
  record: boolean;
  slot: boolean;
  processes: number[];
  mounts: string[];
}

/** Everything a sandbox can leave on the host; an empty HostTraces means nothing is left. */
export async function hostTraces(id: string, slot: number, hostUid: number): Promise<HostTraces> {
  const paths = defaultHostPaths();
  const layout = await detectCgroupLayout();
  const links = execFileSync('ip', ['-o', 'link', 'show'], { encoding: 'utf8' });
  const netns = execFileSync('ip', ['netns', 'list'], { encoding: 'utf8' });
  return {
    netns: netns.split('\n').some((l) => l.split(' ')[0] === `praetor-${id}`),
    veth: links.split('\n').some((l) => l.includes(` pv${slot}@`) || l.includes(` pv${slot}:`)),
    cgroups: Object.values(sandboxDirs(layout, id)).filter((d) => existsSync(d)),
    dataDir: existsSync(`${paths.dataDir}/sandboxes/${id}`),
    record: existsSync(`${paths.stateDir}/sandboxes/${id}.json`),
    slot: existsSync(`${paths.stateDir}/slots/${slot}`) && readFileSync(`${paths.stateDir}/slots/${slot}`, 'utf8') === id,
    processes: pidsOfUid(hostUid),
    mounts: readFileSync('/proc/self/mountinfo', 'utf8')
      .split('\n')
      .filter((l) => l.includes(id)),
  };
}

export const NO_TRACES: HostTraces = {
  netns: false,
  veth: false,
  cgroups: [],
  dataDir: false,
  record: false,
  slot: false,
  processes: [],
  mounts: [],
};
