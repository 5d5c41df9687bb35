// The guard's figures: detection latency for Stratum on the wire, a miner process and a scan,
// measured from the moment the sandboxed program acted (its own clock, the host's) to the alert;
// and the guard's CPU cost with many idle and with busy sandboxes.
import { readFile } from 'node:fs/promises';
import { Guard } from '../guard/guard.js';
import type { Sandbox } from '../sandbox/backend.js';
import { openBackend } from '../sandbox/open-backend.js';
import type { Alert } from '../detect/alert.js';
import { startLoopbackTargets } from './loopback-targets.js';

// The loopback pool takes any port; the name and port are what a miner would ask the proxy for.
const POOL_HOST = 'pool.example.test';
const POOL_PORT = 3333;
import { errorMessage } from '../core/errors.js';
import type { PhaseProgress } from './progress.js';
import { ErrorTally, mapLimit } from './sandbox-bench.js';
import { summarize, type Summary } from './stats.js';
import { measureSignalLatency, type SignalLatency } from './signal-bench.js';
import { measureRuleEngine, type RuleEngineFigures } from './rule-engine-bench.js';
import { runGpuBench, type GpuFigures } from './gpu-bench.js';

export interface OverheadFigures {
  readonly sandboxes: number;
  readonly windowSeconds: number;
  /** CPU of praetor's process plus the guard's helpers, in percent of one core. */
  readonly guardCpuPercent: number;
  readonly helperCpuPercent: number;
}

export interface GuardFigures {
  readonly stratum: Summary | null;
  readonly minerProcess: Summary | null;
  readonly scan: Summary | null;
  readonly idle: OverheadFigures | null;
  readonly busy: OverheadFigures | null;
  /** The same windows with the socket and step-usage signals off (the figures before issue 15), run just before. */
  readonly idleWithoutSignals: OverheadFigures | null;
  readonly busyWithoutSignals: OverheadFigures | null;
  readonly signals: SignalLatency;
  /** The rule engine alone, in process. */
  readonly ruleEngine: RuleEngineFigures;
  /** The GPU sampler's cost and the GPU detections' latency on the recorded replays (gpu-bench.ts). */
  readonly gpu: GpuFigures | null;
  readonly errors: ReturnType<ErrorTally['list']>;
}

export interface GuardBenchOptions {
  readonly iterations: number;
  readonly idleSandboxes: number;
  readonly busySandboxes: number;
  readonly windowSeconds: number;
}

// The proxy's address is the one the sandbox's HTTP_PROXY names (the host side of its cell).
const STRATUM_PROBE = `
import os, socket, time, urllib.parse
s = socket.create_connection((urllib.parse.urlparse(os.environ['HTTP_PROXY']).hostname, 3128))
s.sendall(b'CONNECT ${POOL_HOST}:${POOL_PORT} HTTP/1.1\\r\\nHost: ${POOL_HOST}:${POOL_PORT}\\r\\n\\r\\n')
s.recv(4096)
t = time.time()
s.sendall(b'{"id":1,"method":"mining.subscribe","params":["bench/1.0"]}\\n')
print(t)
time.sleep(0.3)
`;

/** Sub-millisecond arrival times of alerts (Alert.time is whole milliseconds). */
type ArrivalClock = Map<string, number>;

const SCAN_PROBE = `
import os, socket, time, urllib.parse
host = urllib.parse.urlparse(os.environ['HTTP_PROXY']).hostname
print(time.time(), flush=True)
for port in range(1, 41):
    s = socket.socket()
    s.settimeout(1)
    s.connect_ex((host, port))
    s.close()
`;

async function waitForAlert(guard: Guard, sandbox: Sandbox, match: (a: Alert) => boolean, timeoutMs = 5000): Promise<Alert | null> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const found = guard.alerts(sandbox.id).filter(match).sort((a, b) => a.time - b.time)[0];
    if (found) return found;
    if (Date.now() > deadline) return null;
    await sandbox.flushNetworkEvents();
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** One latency sample: run the probe, read the time it printed (epoch seconds), wait for the alert. */
async function sample(
  clock: ArrivalClock,
  guard: Guard,
  sandbox: Sandbox,
  argv: string[],
  match: (a: Alert) => boolean,
  errors: ErrorTally,
  phase: string,
): Promise<number | null> {
  const r = await sandbox.exec(argv, { timeoutMs: 20_000 });
  const acted = Number(r.stdout.toString().trim().split('\n')[0]) * 1000;
  if (!Number.isFinite(acted)) {
    errors.add(phase, `probe printed no time (exit ${r.exitCode}): ${r.stderr.toString().trim().slice(0, 200)}`);
    return null;
  }
  const alert = await waitForAlert(guard, sandbox, match);
  if (!alert) {
    errors.add(phase, 'no alert within 5 s');
    return null;
  }
  return (clock.get(alert.id) ?? alert.time) - acted;
}

async function measureLatency(options: GuardBenchOptions, progress: PhaseProgress, errors: ErrorTally): Promise<Pick<GuardFigures, 'stratum' | 'minerProcess' | 'scan'>> {
  // The guard first: where it can not run (outside the host's first network namespace) nothing
  // else has been opened that would keep the process alive after the error.
  const guard = new Guard({ policy: { mode: 'monitor' } });
  await guard.start();
  const world = await startLoopbackTargets().catch(async (err: unknown) => {
    await guard.stop();
    throw err;
  });
  const backend = openBackend({ resolver: world.resolver, allowCidrs: world.allowCidrs, observer: guard });
  const clock: ArrivalClock = new Map();
  guard.events.subscribe({ kinds: ['alert'] }, ({ alert }) => clock.set(alert.id, performance.timeOrigin + performance.now()));
  const stratum: number[] = [];
  const miner: number[] = [];
  const scan: number[] = [];
  progress.start('detection latency', options.iterations);
  try {
    for (let i = 0; i < options.iterations; i++, progress.tick()) {
      // a fresh sandbox per sample: alerts are deduplicated per sandbox and step
      const sandbox = await backend.create({ allowDomains: [`${POOL_HOST}:${POOL_PORT}`] });
      try {
        const s = await sample(clock, guard, sandbox, ['python3', '-c', STRATUM_PROBE], (a) => a.ruleId === 'stratum-protocol', errors, 'stratum');
        if (s !== null) stratum.push(s);
        const m = await sample(clock, guard, sandbox, ['bash', '-c', 'date +%s.%N; exec -a xmrig sleep 0.5'], (a) => a.ruleId === 'miner-binary', errors, 'miner process');
        if (m !== null) miner.push(m);
        // raw sockets from python: nothing in the argv gives the scan away, only its traffic does
        const n = await sample(clock, guard, sandbox, ['python3', '-c', SCAN_PROBE], (a) => a.technique === 'T1046', errors, 'scan');
        if (n !== null) scan.push(n);
      } catch (err) {
        errors.add('latency', errorMessage(err));
      } finally {
        await sandbox.destroy().catch((err: unknown) => errors.add('latency destroy', errorMessage(err)));
      }
    }
  } finally {
    progress.stop();
    await backend.close();
    await guard.stop();
    await world.close();
  }
  return { stratum: summarize(stratum), minerProcess: summarize(miner), scan: summarize(scan) };
}

async function helperCpuSeconds(pids: readonly number[]): Promise<number> {
  let total = 0;
  for (const pid of pids) {
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => '');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    total += (Number(fields[11] ?? 0) + Number(fields[12] ?? 0)) / 100; // utime + stime, in clock ticks
  }
  return total;
}

/** CPU of this process and the guard's helpers over a window with `count` sandboxes alive. */
async function measureOverhead(
  count: number,
  windowSeconds: number,
  busy: boolean,
  progress: PhaseProgress,
  errors: ErrorTally,
  processSignals = true,
): Promise<OverheadFigures | null> {
  if (count === 0) return null;
  const guard = new Guard({ policy: { mode: 'monitor' }, processSignals });
  await guard.start();
  const backend = openBackend({ observer: guard });
  progress.start(`${busy ? 'busy' : 'idle'} sandboxes${processSignals ? '' : ' (signals off)'}`, count);
  try {
    await mapLimit(Array.from({ length: count }), 8, async () => {
      try {
        const sandbox = await backend.create({ cpus: busy ? 0.05 : 1 });
        if (busy) {
          // a build-like loop: a process start every 100 ms, and a CPU burner held to 5% of a core
          await sandbox.exec(['sh', '-c', 'nohup sh -c "while :; do /bin/true; sleep 0.1; done" >/dev/null 2>&1 & nohup sh -c "while :; do :; done" >/dev/null 2>&1 &']);
        }
      } catch (err) {
        errors.add('overhead create', errorMessage(err));
      } finally {
        progress.tick();
      }
    });
  } finally {
    progress.stop();
  }
  await new Promise((resolve) => setTimeout(resolve, 2000)); // let creation settle
  const files = guard.fileMonitorPid(); // praetor-fanotify: idle unless a watched file is read
  const helpers = files === null ? guard.helperPids() : [...guard.helperPids(), files];
  const cpu0 = process.cpuUsage();
  const helper0 = await helperCpuSeconds(helpers);
  const started = performance.now();
  await new Promise((resolve) => setTimeout(resolve, windowSeconds * 1000));
  const elapsed = (performance.now() - started) / 1000;
  const cpu = process.cpuUsage(cpu0);
  const helper = (await helperCpuSeconds(helpers)) - helper0;
  await backend.close();
  await guard.stop();
  const own = (cpu.user + cpu.system) / 1e6;
  return {
    sandboxes: count,
    windowSeconds: Math.round(elapsed * 10) / 10,
    guardCpuPercent: ((own + helper) / elapsed) * 100,
    helperCpuPercent: (helper / elapsed) * 100,
  };
}

export async function runGuardBench(options: GuardBenchOptions, progress: PhaseProgress): Promise<GuardFigures> {
  const errors = new ErrorTally();
  const ruleEngine = await measureRuleEngine();
  const latency = await measureLatency(options, progress, errors);
  const signals = await measureSignalLatency(options.iterations, progress, errors);
  // paired: each window with the socket and step-usage signals off, then on, in the same run
  const idleWithoutSignals = await measureOverhead(options.idleSandboxes, options.windowSeconds, false, progress, errors, false);
  const idle = await measureOverhead(options.idleSandboxes, options.windowSeconds, false, progress, errors);
  const busyWithoutSignals = await measureOverhead(options.busySandboxes, options.windowSeconds, true, progress, errors, false);
  const busy = await measureOverhead(options.busySandboxes, options.windowSeconds, true, progress, errors);
  progress.start('GPU replays', 1);
  const gpu = await runGpuBench(errors).finally(() => progress.stop());
  return { ...latency, idle, busy, idleWithoutSignals, busyWithoutSignals, signals, ruleEngine, gpu, errors: errors.list() };
}
