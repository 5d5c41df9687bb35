// Copies the host directory a sandbox was created with into its /workspace, owned by the sandbox's uid.
import { cp, lchown, lstat, readdir } from 'node:fs/promises';
import type { Stats } from 'node:fs';
import { relative } from 'node:path';
import { PraetorError, errorMessage } from '../../core/errors.js';

/**
 * Copies a host directory into the sandbox's workspace. Only directories, regular files and
 * symlinks (copied as links, never followed) are taken: a device or fifo would be copied by
 * reading it (a character device's content, or a read that never ends), so one is refused.
 */
export async function copyWorkspace(source: string, workspace: string, uid: number, diskBytes: number): Promise<void> {
  const refuseSpecial = async (src: string): Promise<boolean> => {
    const kind = specialKind(await lstat(src));
    if (kind !== null) {
      const where = relative(source, src) || '.';
      throw new PraetorError('invalid-config', `workspace ${source}: ${where} is a ${kind}; a workspace may hold only directories, files and symlinks`);
    }
    return true;
  };
  await cp(source, workspace, { recursive: true, verbatimSymlinks: true, filter: refuseSpecial }).catch((err: unknown) => {
    if (err instanceof PraetorError) throw err;
    if ((err as NodeJS.ErrnoException).code === 'ENOSPC') {
      throw new PraetorError('invalid-config', `workspace ${source} does not fit in the sandbox's disk of ${diskBytes} bytes (raise --disk)`);
    }
    throw new PraetorError('invalid-config', `workspace ${source}: ${errorMessage(err)}`);
  });
  await chownTree(workspace, uid);
}

function specialKind(stats: Stats): string | null {
  if (stats.isCharacterDevice()) return 'character device';
  if (stats.isBlockDevice()) return 'block device';
  if (stats.isFIFO()) return 'fifo';
  if (stats.isSocket()) return 'socket';
  return null;
}

async function chownTree(dir: string, uid: number): Promise<void> {
  await lchown(dir, uid, uid);
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = `${dir}/${entry.name}`;
    if (entry.isDirectory()) await chownTree(path, uid);
    else await lchown(path, uid, uid);
  }
}
