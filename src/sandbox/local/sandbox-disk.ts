// A sandbox's disk: /workspace and /tmp live on an ext4 image of the sandbox's own size, loop-mounted
// over its data directory, so a sandbox that writes past its `disk` option gets ENOSPC and the host's
// filesystem loses at most that much. Here: the formatted templates each image is copied from, and
// the calls to the native helper that copies, attaches, mounts (native/praetor-disk.h) and detaches.
//
// Why a loop-mounted image and not the alternatives: a size-limited tmpfs charges every byte the
// agent writes to its memory cgroup (a 500 MB node_modules would take 500 MB of --memory, and a
// full disk means the OOM killer, not ENOSPC); project quotas need a filesystem mounted with them,
// which the host's root filesystem seldom is. The image is sparse, so it costs the host only what
// the sandbox writes; the template makes creating one a copy of about 0.6 MiB instead of a mkfs.
// Paired `praetor bench --iterations 30` runs on the 2-core dev host, median of 4 pairs: cold
// create p50 23.8 -> 26.2 ms, destroy p50 5.4 -> 6.1 ms, pooled 3.7 -> 3.5 ms (pairs vary by 4 ms).
import { randomBytes } from 'node:crypto';
import { access, mkdir, open, rename, rm } from 'node:fs/promises';
import { PraetorError, errorMessage } from '../../core/errors.js';
import { run } from './host-tool.js';

/**
 * mkfs.ext4 arguments for a template at `path` (the file already has its size). No journal: the
 * disk dies with its sandbox, so there is nothing to recover, and a journal is 32 MiB of writes.
 * -m 0: the sandbox's uid is not root, so the usual 5% kept for root would just be lost. One inode
 * per 8 KiB (twice ext4's default): a node_modules is mostly small files. Lazy inode tables stay
 * holes in the sparse file (the helper mounts with noinit_itable).
 */
export function mkfsArgs(path: string): string[] {
  return ['-q', '-F', '-O', '^has_journal', '-m', '0', '-b', '4096', '-i', '8192', '-E', 'lazy_itable_init=1,nodiscard', '-L', 'praetor-disk', path];
}

/** Formatted images, one per size, built once per host and kept in `dir` (0700, root). */
export class DiskTemplates {
  private readonly building = new Map<number, Promise<string>>();

  constructor(private readonly dir: string) {}

  path(bytes: number): string {
    return `${this.dir}/ext4-${bytes}.img`;
  }

  /** The template of this size: formatted now if no earlier run of praetor did it. */
  ensure(bytes: number): Promise<string> {
    let pending = this.building.get(bytes);
    if (pending === undefined) {
      pending = this.build(bytes);
      this.building.set(bytes, pending);
      // A failure is not cached: the next sandbox tries again.
      void pending.catch(() => this.building.delete(bytes));
    }
    return pending;
  }

  private async build(bytes: number): Promise<string> {
    const target = this.path(bytes);
    if (await exists(target)) return target;
    await mkdir(this.dir, { recursive: true, mode: 0o700 });
    // Another praetor may format the same size at once: each writes its own file, rename is atomic.
    const tmp = `${target}.${process.pid}-${randomBytes(4).toString('hex')}.tmp`;
    try {
      const file = await open(tmp, 'wx', 0o600);
      try {
        await file.truncate(bytes);
      } finally {
        await file.close();
      }
      await run('mkfs.ext4', mkfsArgs(tmp));
      await rename(tmp, target);
      return target;
    } catch (err) {
      await rm(tmp, { force: true });
      if (err instanceof PraetorError && err.code === 'host-unsupported') throw err;
      throw new PraetorError('host-unsupported', `cannot format a sandbox disk (mkfs.ext4 from e2fsprogs is needed): ${errorMessage(err)}`, { cause: err });
    }
  }
}

/** Whether `name` (in a templates directory) is the half-written template of a process that is gone. */
export function abandonedTemplate(name: string, alive: (pid: number) => boolean): boolean {
  const m = /\.(\d+)-[0-9a-f]+\.tmp$/.exec(name);
  return m !== null && !alive(Number(m[1]));
}

export interface DiskTarget {
  readonly helperPath: string;
  readonly template: string;
  /** The sandbox's data directory: the image is created in it (unnamed), then mounted over it. */
  readonly dataDir: string;
  readonly uid: number;
}

/** Copies the template into the sandbox's (unnamed) image and mounts it over its data directory. */
export async function attachDisk(target: DiskTarget): Promise<void> {
  const uid = String(target.uid);
  const args = ['disk', '--template', target.template, '--mount', target.dataDir, '--uid', uid, '--gid', uid];
  await run(target.helperPath, args).catch((err: unknown) => {
    const why = errorMessage(err);
    const code = /loop-control|LOOP_CTL|unknown filesystem type/.test(why) ? 'host-unsupported' : 'sandbox-failure';
    throw new PraetorError(code, `sandbox disk: ${why}`, { cause: err });
  });
}

/** Detaches the disk mounted over `dataDir`, if any. */
export async function detachDisk(helperPath: string, dataDir: string): Promise<void> {
  await run(helperPath, ['unmount', '--mount', dataDir]);
}

async function exists(path: string): Promise<boolean> {
  try {
    await access(path);
    return true;
  } catch {
    return false;
  }
}
