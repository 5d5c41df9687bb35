// Runs the cgroup side of a sandbox: create the tree, impose limits, list, freeze, kill, remove.
import { mkdir, readFile, readdir, rmdir, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  type CgroupLayout,
  type CgroupLimits,
  type LeafPaths,
  parseCgroupLayout,
  leafPaths,
  limitWrites,
  sandboxDirs,
  sandboxRoots,
} from './cgroup-layout.js';

const V2_CONTROLLERS = '+cpu +memory +pids';

export async function detectCgroupLayout(): Promise<CgroupLayout> {
  return parseCgroupLayout(await readFile('/proc/self/mounts', 'utf8'));
}

async function enableV2Controllers(dir: string): Promise<void> {
  await writeFile(`${dir}/cgroup.subtree_control`, V2_CONTROLLERS);
}

async function readPids(procsFile: string): Promise<number[]> {
  try {
    const text = await readFile(procsFile, 'utf8');
    return text.split('\n').filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

function signalAll(pids: readonly number[]): void {
  for (const pid of pids) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
}

export class CgroupTree {
  constructor(readonly layout: CgroupLayout) {}

  async createSandbox(sandboxId: string, limits: CgroupLimits): Promise<void> {
    const dirs = Object.values(sandboxDirs(this.layout, sandboxId));
    for (const root of sandboxRoots(this.layout)) await mkdir(root, { recursive: true });
    if (this.layout.kind === 'v2') {
      await enableV2Controllers(this.layout.root);
      await enableV2Controllers(`${this.layout.root}/praetor`);
    }
    for (const d of dirs) await mkdir(d, { recursive: true });
    if (this.layout.kind === 'v2') await enableV2Controllers(dirs[0] ?? '');
    for (const [file, value] of limitWrites(this.layout, sandboxId, limits)) {
      try {
        await writeFile(file, value);
      } catch (err) {
        // memory.swap.max is absent when the kernel runs without swap accounting: nothing to limit then.
        if (!file.endsWith('memory.swap.max')) throw err;
      }
    }
  }

  leaf(sandboxId: string, leaf: string): LeafPaths {
    return leafPaths(this.layout, sandboxId, leaf);
  }

  async createLeaf(sandboxId: string, leaf: string): Promise<LeafPaths> {
    const paths = this.leaf(sandboxId, leaf);
    await Promise.all(paths.procsFiles.map((f) => mkdir(dirname(f), { recursive: true })));
    return paths;
  }

  /** Host pids in one leaf, read from the first hierarchy (membership is the same in all). */
  async pids(sandboxId: string, leaf: string): Promise<number[]> {
    const file = this.leaf(sandboxId, leaf).procsFiles[0];
    return file === undefined ? [] : readPids(file);
  }

  async leaves(sandboxId: string): Promise<string[]> {
    const first = this.leaf(sandboxId, 'x').procsFiles[0] ?? '';
    const dir = first.slice(0, first.lastIndexOf('/x/'));
    try {
      const entries = await readdir(dir, { withFileTypes: true });
      return entries.filter((e) => e.isDirectory()).map((e) => e.name);
    } catch {
      return [];
    }
  }

  /** Kills every process of a leaf (or of the whole sandbox), double-forked daemons included. */
  async kill(sandboxId: string, leaf?: string): Promise<void> {
    const leaves = leaf === undefined ? await this.leaves(sandboxId) : [leaf];
    if (this.layout.kind === 'v2') {
      const files = leaves.map((l) => this.leaf(sandboxId, l).procsFiles[0] ?? '');
      // cgroup.kill (Linux 5.14) kills the whole leaf atomically; older kernels fall through to the loop.
      await Promise.all(files.map((f) => writeFile(`${dirname(f)}/cgroup.kill`, '1').catch(() => undefined)));
    }
    // v1 has no cgroup.kill: freeze so nothing forks while we signal, then kill until empty.
    for (let round = 0; round < 200; round++) {
      const pids = (await Promise.all(leaves.map((l) => this.pids(sandboxId, l)))).flat();
      if (pids.length === 0) return;
      if (this.layout.kind === 'v1') await this.setFrozen(sandboxId, true);
      signalAll(pids);
      if (this.layout.kind === 'v1') await this.setFrozen(sandboxId, false);
      await sleep(round < 10 ? 2 : 10);
    }
    throw new Error(`processes of sandbox ${sandboxId} survived SIGKILL for 2 s`);
  }

  async setFrozen(sandboxId: string, frozen: boolean): Promise<void> {
    const dirs = sandboxDirs(this.layout, sandboxId);
    if (this.layout.kind === 'v2') await writeFile(`${dirs.v2}/cgroup.freeze`, frozen ? '1' : '0');
    else await writeFile(`${dirs.freezer}/freezer.state`, frozen ? 'FROZEN' : 'THAWED');
  }

  /** Removes the sandbox's cgroups; its processes must be gone (call kill first). */
  async removeSandbox(sandboxId: string): Promise<void> {
    const leaves = await this.leaves(sandboxId);
    const tops = Object.values(sandboxDirs(this.layout, sandboxId));
    for (const top of tops) {
      for (const l of leaves) await rmdir(`${top}/${l}`).catch(ignoreMissing);
      await rmdir(top).catch(ignoreMissing);
    }
  }

  /** Sandbox ids that have a cgroup, live or left behind by a dead praetor. */
  async sandboxIds(): Promise<string[]> {
    const ids = new Set<string>();
    for (const root of sandboxRoots(this.layout)) {
      try {
        for (const e of await readdir(root, { withFileTypes: true })) if (e.isDirectory()) ids.add(e.name);
      } catch {
        // hierarchy without a praetor folder yet
      }
    }
    return [...ids];
  }
}

function ignoreMissing(err: unknown): void {
  if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
}
