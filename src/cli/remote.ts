// What the CLI's commands share when they go through praetord: the client, API errors as
// praetor's typed errors (so main's one handler picks the exit code), alerts as lines, and a
// workspace directory as the tar a request carries (a request never names a host path).
import { spawn } from 'node:child_process';
import { PraetorError, type PraetorErrorCode } from '../core/errors.js';
import { Praetor } from '../client/praetor.js';
import { PraetorApiError } from '../client/errors.js';
import { describeTarget, type DaemonTarget } from '../client/target.js';
import type { Alert } from '../client/types.js';
import { alertLine } from '../core/alert-line.js';

export function clientFor(target: DaemonTarget): Praetor {
  const host = target.kind === 'unix' ? `unix:${target.socketPath}` : target.url.href;
  return new Praetor({ host });
}

function codeFor(status: number): PraetorErrorCode {
  if (status === 400 || status === 413) return 'usage';
  if (status === 401 || status === 403) return 'policy-denied';
  if (status === 404) return 'sandbox-not-found';
  if (status === 504) return 'exec-timeout';
  if (status >= 500 || status === 0 || status === 409 || status === 429) return 'sandbox-failure';
  return 'internal';
}

/** Runs `fn`, turning an API error into a PraetorError with a one-line message. */
export async function viaDaemon<T>(target: DaemonTarget, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof PraetorApiError) {
      const where = err.status === 0 ? '' : ` (praetord at ${describeTarget(target)})`;
      throw new PraetorError(codeFor(err.status), `${err.message}${where}`, { cause: err });
    }
    throw err;
  }
}

/** One line per alert, as the in-process path prints them (the daemon's run stream sends it as `line`). */
export function describeApiAlert(a: Alert): string {
  return a.line ?? alertLine(a);
}

/** The directory as a tar (GNU tar from the host), for `workspaceTar`. */
export function tarDirectory(dir: string): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const child = spawn('tar', ['-C', dir, '-cf', '-', '.'], { stdio: ['ignore', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    let err = '';
    child.stdout.on('data', (c: Buffer) => out.push(c));
    child.stderr.on('data', (c: Buffer) => (err += c.toString()));
    child.on('error', (e) => reject(new PraetorError('usage', `cannot pack --workspace ${dir}: ${e.message}`)));
    child.on('close', (code) => {
      if (code === 0) resolve(Buffer.concat(out));
      else reject(new PraetorError('usage', `cannot pack --workspace ${dir}: ${err.trim().split('\n')[0] ?? `tar exited ${code}`}`));
    });
  });
}
