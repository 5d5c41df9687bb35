// File problems of CLI commands, told apart by direction: a missing input is the user's to fix
// (exit 66), an output that can not be created too, but a different one (73). Commands open their
// files through these helpers, so a bad path is one line and a documented code, never an
// unhandled 'error' event or a stack trace.
import type { ReadStream, WriteStream } from 'node:fs';
import { open, readFile, stat } from 'node:fs/promises';

export class CliFileError extends Error {
  constructor(
    readonly direction: 'input' | 'output',
    readonly path: string,
    reason: string,
    options?: { cause?: unknown },
  ) {
    super(`cannot ${direction === 'input' ? 'read' : 'write'} ${path}: ${reason}`, options);
    this.name = 'CliFileError';
  }
}

/** "no such file or directory" from "ENOENT: no such file or directory, open '/x'". */
export function systemReason(err: unknown): string {
  const message = err instanceof Error ? err.message : String(err);
  const m = /^E[A-Z]+: ([^,]+)/.exec(message);
  return m?.[1] ?? message;
}

export async function readInputFile(path: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (err) {
    throw new CliFileError('input', path, systemReason(err), { cause: err });
  }
}

/** A stream of an input file, opened (and so checked) before it is handed out. */
export async function openInputStream(path: string): Promise<ReadStream> {
  try {
    const handle = await open(path, 'r');
    if ((await handle.stat()).isDirectory()) {
      await handle.close();
      throw Object.assign(new Error('EISDIR: is a directory'), { code: 'EISDIR' });
    }
    return handle.createReadStream();
  } catch (err) {
    throw new CliFileError('input', path, systemReason(err), { cause: err });
  }
}

/** An output file, created (or truncated) before anything is written to it. */
export async function openOutputStream(path: string): Promise<WriteStream> {
  try {
    const handle = await open(path, 'w');
    return handle.createWriteStream();
  } catch (err) {
    throw new CliFileError('output', path, systemReason(err), { cause: err });
  }
}

export async function requireDirectory(path: string, what: string): Promise<void> {
  let isDir: boolean;
  try {
    isDir = (await stat(path)).isDirectory();
  } catch (err) {
    throw new CliFileError('input', path, systemReason(err), { cause: err });
  }
  if (!isDir) throw new CliFileError('input', path, `${what} must be a directory`);
}

/** One problem on one line; several as a count, then one per line (the first line says how many). */
export function problemsMessage(what: string, problems: readonly string[]): string {
  if (problems.length === 1) return `${what}: ${problems[0] ?? ''}`;
  return `${what}: ${problems.length} problems:\n  ${problems.join('\n  ')}`;
}
