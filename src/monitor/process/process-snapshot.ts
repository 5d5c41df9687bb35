// A process as /proc shows it now, in the fields of a process-start event: what praetor-procmon
// reads at exec time, read late. The guard uses it after a monitor outage, for processes that
// exec'd while the process monitor was down, so they are judged by the rules all the same.
import { readFile, readlink } from 'node:fs/promises';
import type { ProcessStartEvent } from '../events.js';

export type ProcessSnapshot = Pick<ProcessStartEvent, 'pid' | 'ppid' | 'uid' | 'exe' | 'argv' | 'cwd'>;

/** The process's argv, links, ppid and uid; null when it is gone. */
export async function readProcessSnapshot(pid: number, proc = '/proc'): Promise<ProcessSnapshot | null> {
  const [cmdline, exe, cwd, status] = await Promise.all([
    readFile(`${proc}/${pid}/cmdline`).catch(() => null),
    readlink(`${proc}/${pid}/exe`).catch(() => null),
    readlink(`${proc}/${pid}/cwd`).catch(() => null),
    readFile(`${proc}/${pid}/status`, 'utf8').catch(() => null),
  ]);
  if (status === null) return null;
  return { pid, ppid: statusField(status, 'PPid'), uid: statusField(status, 'Uid'), exe, cwd, argv: parseCmdline(cmdline) };
}

/** NUL-separated argv; null when empty (a process with no memory left, a kernel thread). */
export function parseCmdline(raw: Buffer | null): string[] | null {
  if (raw === null || raw.length === 0) return null;
  const text = raw.toString('utf8');
  const parts = text.split('\0');
  if (text.endsWith('\0')) parts.pop();
  return parts;
}

export function statusField(status: string, name: string): number | null {
  const m = new RegExp(`^${name}:\\s+(\\d+)`, 'm').exec(status);
  return m ? Number(m[1]) : null;
}
