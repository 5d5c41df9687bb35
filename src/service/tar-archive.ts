// Workspace archives from clients: every entry is checked (no absolute path, no "..", no link
// leaving the archive's root, no device or fifo, bounded sizes) and the archive is packed again
// from what was checked, so the `tar` that unpacks it inside the sandbox reads only entries this
// code has seen (no parser differences between tar-stream and GNU tar can smuggle one past).
// Unpacking then happens inside the sandbox with the sandbox's own rights, never on the host.
import { posix } from 'node:path';
import { Readable } from 'node:stream';
import { gunzipSync } from 'node:zlib';
import * as tar from 'tar-stream';
import { ApiError } from './api-error.js';

export interface ArchiveLimits {
  /** Bytes of file contents, all entries together. */
  readonly maxBytes: number;
  readonly maxEntries: number;
}

/**
 * An archive is held in memory while it is checked and packed again: its unpacked contents may
 * be at most twice the upload limit (a gzip bomb stops there), in at most 100,000 entries.
 */
export function archiveLimits(uploadBytes: number): ArchiveLimits {
  return { maxBytes: 2 * uploadBytes, maxEntries: 100_000 };
}

export const DEFAULT_ARCHIVE_LIMITS: ArchiveLimits = archiveLimits(64 * 2 ** 20);

export interface CheckedArchive {
  /** The archive packed again from the checked entries (plain tar). */
  readonly tar: Buffer;
  readonly entries: number;
  readonly bytes: number;
}

function refuse(entry: string, why: string): never {
  throw new ApiError(400, 'invalid-archive', `archive entry "${entry.slice(0, 200)}": ${why}`);
}

/** The entry's path, relative and normalised, or a refusal. */
export function safeEntryPath(name: string): string {
  if (name.includes('\0')) refuse(name, 'a NUL byte in the name');
  if (name.startsWith('/')) refuse(name, 'an absolute path');
  if (name.split('/').includes('..')) refuse(name, 'a ".." component');
  const normal = posix.normalize(name).replace(/\/+$/, '');
  if (normal.length > 4096) refuse(name, 'a path over 4096 bytes');
  return normal === '' ? '.' : normal;
}

/** A link target, checked to stay inside the archive's root (resolved from the link's directory for symlinks). */
function safeLinkTarget(entry: string, target: string, symbolic: boolean): string {
  if (target.includes('\0') || target.startsWith('/')) refuse(entry, `a link to an absolute path (${target.slice(0, 200)})`);
  const resolved = posix.normalize(symbolic ? posix.join(posix.dirname(entry), target) : target);
  if (resolved === '..' || resolved.startsWith('../')) refuse(entry, `a link leaving the archive (${target.slice(0, 200)})`);
  return target;
}

function decompress(data: Buffer, limits: ArchiveLimits): Buffer {
  if (data[0] !== 0x1f || data[1] !== 0x8b) return data;
  try {
    return gunzipSync(data, { maxOutputLength: limits.maxBytes + limits.maxEntries * 1024 + 1 });
  } catch {
    throw new ApiError(400, 'invalid-archive', 'the gzip data is corrupt or unpacks past the size limit');
  }
}

export async function checkArchive(data: Buffer, limits: ArchiveLimits = DEFAULT_ARCHIVE_LIMITS): Promise<CheckedArchive> {
  const extract = tar.extract();
  const pack = tar.pack();
  const out: Buffer[] = [];
  pack.on('data', (c: unknown) => out.push(c as Buffer));
  const packed = new Promise<void>((resolve, reject) => {
    pack.on('end', resolve);
    pack.on('error', reject);
  });
  let entries = 0;
  let bytes = 0;
  try {
    Readable.from([decompress(data, limits)]).pipe(extract);
    for await (const entry of extract) {
      const h = entry.header;
      const name = safeEntryPath(h.name);
      if (++entries > limits.maxEntries) refuse(name, `more than ${limits.maxEntries} entries`);
      const mode = (h.mode ?? 0o644) & 0o1777; // no setuid or setgid bits
      const base = { name, mode, mtime: h.mtime ?? new Date() };
      switch (h.type ?? 'file') {
        case 'file':
        case 'contiguous-file': {
          bytes += h.size ?? 0;
          if (bytes > limits.maxBytes) refuse(name, `the archive holds more than ${limits.maxBytes} bytes`);
          const chunks: Buffer[] = [];
          for await (const c of entry) chunks.push(c as Buffer);
          pack.entry({ ...base, type: 'file' }, Buffer.concat(chunks));
          continue;
        }
        case 'directory':
          pack.entry({ ...base, type: 'directory' });
          break;
        case 'symlink':
          pack.entry({ ...base, type: 'symlink', linkname: safeLinkTarget(name, h.linkname ?? '', true) });
          break;
        case 'link':
          pack.entry({ ...base, type: 'link', linkname: safeEntryPath(safeLinkTarget(name, h.linkname ?? '', false)) });
          break;
        case 'character-device':
        case 'block-device':
        case 'fifo':
          refuse(name, `entries of type ${h.type} are not accepted`);
      }
      entry.resume();
    }
  } catch (err) {
    if (err instanceof ApiError) throw err;
    throw new ApiError(400, 'invalid-archive', `not a tar archive: ${err instanceof Error ? err.message : String(err)}`);
  } finally {
    extract.destroy();
  }
  pack.finalize();
  await packed;
  return { tar: Buffer.concat(out), entries, bytes };
}
