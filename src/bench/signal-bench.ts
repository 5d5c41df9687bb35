// Latency of the socket-aware and CPU signals (issue 15), for `praetor bench-guard`: a reverse shell
// wired to a socket inside its own sandbox (loopback only), from its exec to the socket-stdio-shell
// alert; and a step of pure computation, from the end of its command to the cpu-pure-step alert
// (the signal is read when the step ends: its latency after the end is what it costs).
import { Guard } from '../guard/guard.js';
import { openBackend } from '../sandbox/open-backend.js';
import type { Alert } from '../detect/alert.js';
import { errorMessage } from '../core/errors.js';
import type { PhaseProgress } from './progress.js';
import type { ErrorTally } from './sandbox-bench.js';
import { summarize, type Summary } from './stats.js';

export interface SignalLatency {
  /** exec of a shell whose stdin is a TCP socket -> socket-stdio-shell. */
  readonly socketShell: Summary | null;
  /** end of a 6 s pure-CPU step -> cpu-pure-step. */
  readonly cpuStep: Summary | null;
}

// A listener on the sandbox's own loopback that takes one connection and closes it a moment later;
// the shell is wired to it with /dev/tcp and prints the time just before its exec.
const SHELL_PROBE = [
  'python3 -c "import socket,time; s=socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1); s.bind((\'127.0.0.1\', 4444)); s.listen(1); c,_=s.accept(); time.sleep(0.5)" &',
  'sleep 0.3; exec 3<>/dev/tcp/127.0.0.1/4444; date +%s.%N; exec bash -i <&3 >&3 2>&3',
].join('\n');
const CPU_PROBE = "timeout 6 sh -c 'while :; do :; done'; date +%s.%N";
/** CPU samples take 6 s each: a few are enough for a figure. */
const MAX_CPU_SAMPLES = 3;

async function alertArrival(arrivals: Map<string, number>, guard: Guard, sandboxId: string, ruleId: string, timeoutMs = 5000): Promise<number | null> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    await guard.settle();
    const found: Alert | undefined = guard.alerts(sandboxId).find((a) => a.ruleId === ruleId);
    if (found) return arrivals.get(found.id) ?? found.time;
    if (Date.now() > deadline) return null;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

export async function measureSignalLatency(iterations: number, progress: PhaseProgress, errors: ErrorTally): Promise<SignalLatency> {
  const guard = new Guard({ policy: { mode: 'monitor' } });
  await guard.start();
  const backend = openBackend({ observer: guard });
  const arrivals = new Map<string, number>();
  guard.events.subscribe({ kinds: ['alert'] }, ({ alert }) => arrivals.set(alert.id, performance.timeOrigin + performance.now()));
  const shell: number[] = [];
  const cpu: number[] = [];
  const cpuRuns = Math.min(iterations, MAX_CPU_SAMPLES);
  progress.start('socket and CPU signals', iterations + cpuRuns);
  try {
    for (let i = 0; i < iterations + cpuRuns; i++, progress.tick()) {
      const isCpu = i >= iterations;
      const sandbox = await backend.create({});
      try {
        const r = await sandbox.exec(['bash', '-c', isCpu ? CPU_PROBE : SHELL_PROBE], { timeoutMs: 20_000 });
        const lines = r.stdout.toString().trim().split('\n');
        const acted = Number(isCpu ? lines[lines.length - 1] : lines[0]) * 1000;
        if (!Number.isFinite(acted)) {
          errors.add(isCpu ? 'cpu signal' : 'socket signal', `probe printed no time (exit ${r.exitCode})`);
          continue;
        }
        const at = await alertArrival(arrivals, guard, sandbox.id, isCpu ? 'cpu-pure-step' : 'socket-stdio-shell');
        if (at === null) errors.add(isCpu ? 'cpu signal' : 'socket signal', 'no alert within 5 s');
        else (isCpu ? cpu : shell).push(at - acted);
      } catch (err) {
        errors.add('signal latency', errorMessage(err));
      } finally {
        await sandbox.destroy().catch((err: unknown) => errors.add('signal destroy', errorMessage(err)));
      }
    }
  } finally {
    progress.stop();
    await backend.close();
    await guard.stop();
  }
  return { socketShell: summarize(shell), cpuStep: summarize(cpu) };
}
