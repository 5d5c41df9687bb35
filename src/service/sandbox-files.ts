// Files of a sandbox over the API: read, write, list, and tar in and out. Every operation runs
// inside the sandbox as a step, with the sandbox's own rights: a link planted by the agent can
// not make the daemon (root) read or write a host file, and the guard sees each one.
import { posix } from 'node:path';
import type { ExecResult, Sandbox } from '../sandbox/backend.js';
import { ApiError } from './api-error.js';

const ROOTS = ['/workspace', '/tmp'];

/** An absolute, normalised path under /workspace or /tmp; relative paths are taken from /workspace. */
export function sandboxPath(input: string): string {
  if (input.includes('\0')) throw new ApiError(400, 'invalid-path', 'path: contains a NUL byte');
  if (input.length > 4096) throw new ApiError(400, 'invalid-path', 'path: longer than 4096 bytes');
  const path = posix.normalize(posix.isAbsolute(input) ? input : posix.join('/workspace', input)).replace(/(.)\/+$/, '$1');
  if (!ROOTS.some((root) => path === root || path.startsWith(`${root}/`))) {
    throw new ApiError(400, 'invalid-path', `path: ${input.slice(0, 200)} is outside /workspace and /tmp`);
  }
  return path;
}

export interface FileEntry {
  readonly name: string;
  readonly type: 'file' | 'directory' | 'symlink' | 'other';
  readonly size: number;
}

/** A file command's failure as the API reports it (404 no such file, 400 a directory, 403 denied). */
export function fileFailure(result: ExecResult, what: string): ApiError {
  const message = result.stderr.toString('utf8').trim().split('\n').pop() ?? '';
  if (/No such file or directory|Not a directory/.test(message)) return new ApiError(404, 'not-found', `${what}: no such file or directory`);
  if (/Is a directory/.test(message)) return new ApiError(400, 'is-a-directory', `${what}: is a directory`);
  if (/Permission denied|Read-only file system/.test(message)) return new ApiError(403, 'permission-denied', `${what}: ${message}`);
  return new ApiError(400, 'file-operation-failed', `${what}: ${message || `exit ${String(result.exitCode)}`}`);
}

async function run(sandbox: Sandbox, argv: readonly string[], what: string, maxBytes: number, stdin?: Buffer): Promise<Buffer> {
  const result = await sandbox.exec(argv, { cwd: '/', maxOutputBytes: maxBytes + 1, timeoutMs: 120_000, ...(stdin ? { stdin } : {}) });
  if (result.exitCode !== 0) throw fileFailure(result, what);
  if (result.stdoutTruncated || result.stdout.length > maxBytes) throw new ApiError(413, 'too-large', `${what}: larger than ${maxBytes} bytes`);
  return result.stdout;
}

/** The commands behind each file operation, run inside the sandbox (the MCP tools run them as steps). */
export const readFileArgv = (path: string): string[] => ['cat', '--', path];
export const writeFileArgv = (path: string): string[] => ['sh', '-c', 'mkdir -p -- "$(dirname -- "$1")" && cat > "$1"', 'praetor-write', path];
// find prints type, size and name NUL-separated: names may hold any byte but NUL and "/"
export const listDirArgv = (path: string): string[] => ['find', path, '-mindepth', '1', '-maxdepth', '1', '-printf', '%y\\t%s\\t%f\\0'];

export function readSandboxFile(sandbox: Sandbox, path: string, maxBytes: number): Promise<Buffer> {
  return run(sandbox, readFileArgv(path), path, maxBytes);
}

export async function writeSandboxFile(sandbox: Sandbox, path: string, data: Buffer): Promise<void> {
  await run(sandbox, writeFileArgv(path), path, 4096, data);
}

export async function listSandboxDir(sandbox: Sandbox, path: string): Promise<FileEntry[]> {
  return parseDirListing(await run(sandbox, listDirArgv(path), path, 64 * 2 ** 20));
}

/** listDirArgv's output as entries, by name. */
export function parseDirListing(out: Buffer): FileEntry[] {
  const types: Record<string, FileEntry['type']> = { f: 'file', d: 'directory', l: 'symlink' };
  return out
    .toString('utf8')
    .split('\0')
    .filter((line) => line !== '')
    .map((line) => {
      const [type = '', size = '0', ...name] = line.split('\t');
      return { name: name.join('\t'), type: types[type] ?? 'other', size: Number(size) };
    })
    .sort((a, b) => a.name.localeCompare(b.name));
}

/** Unpacks a checked archive (see tar-archive.ts) into `dir`, creating it. */
export async function putSandboxArchive(sandbox: Sandbox, dir: string, archive: Buffer): Promise<void> {
  const script = 'mkdir -p -- "$1" && exec tar -xf - -C "$1" --no-same-owner --no-overwrite-dir';
  await run(sandbox, ['sh', '-c', script, 'praetor-untar', dir], dir, 4096, archive);
}

export function getSandboxArchive(sandbox: Sandbox, dir: string, maxBytes: number): Promise<Buffer> {
  return run(sandbox, ['tar', '-cf', '-', '-C', dir, '.'], dir, maxBytes);
}
