// Starts one of praetor's long-lived native helpers (the process monitor, the denial reader) so that
// neither it nor its pipes keep praetor alive: it dies with praetor (PDEATHSIG, stdin EOF).
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';

export function spawnHelper(path: string, args: readonly string[]): ChildProcessWithoutNullStreams {
  const child = spawn(path, args, { stdio: ['pipe', 'pipe', 'pipe'] });
  child.unref();
  for (const s of [child.stdin, child.stdout, child.stderr]) (s as unknown as { unref?: () => void }).unref?.();
  child.stdin.on('error', () => undefined); // a dead helper is reported through 'close'
  return child;
}
