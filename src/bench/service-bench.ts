// The service's figures, with praetor's own one-shot command as a whole process beside them:
// `praetor run -- true` with no daemon and through praetord, exec over the API, create to first
// command over the API, and (opt-in) many live sandboxes made through the API with the memory
// each costs. The API is reached through what the caller passes in (the CLI gives the client):
// the bench sits below the service and its client.
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { errorMessage } from '../core/errors.js';
import { runAnchor, type AnchorResult } from './anchors.js';
import { PRAETOR_CLI, spawnPraetord } from './praetord-spawn.js';
import type { PhaseProgress } from './progress.js';
import type { ErrorTally} from './sandbox-bench.js';
import { mapLimit, memAvailable } from './sandbox-bench.js';
import { elapsedMs, summarize, type Summary } from './stats.js';

/** What the bench does over the API. */
export interface ServiceApi {
  create(): Promise<string>;
  /** Runs `true`; resolves to null when it exited 0, else why not. */
  execTrue(id: string): Promise<string | null>;
  destroy(id: string): Promise<void>;
  close(): void;
}

export type ServiceApiFactory = (socketPath: string) => ServiceApi;

export interface ServiceBenchOptions {
  readonly iterations: number;
  /** Sandboxes made and kept alive through the API at once; 0 skips that phase. */
  readonly live: number;
  readonly parallelism: number;
  /** The daemon's warm pool. */
  readonly pool: number;
}

export interface LiveFigures {
  readonly requested: number;
  readonly created: number;
  readonly ranTrue: number;
  readonly createSeconds: number;
  readonly destroySeconds: number;
  readonly memAvailableBefore: number | null;
  readonly memAvailableAtPeak: number | null;
  readonly daemonRssBefore: number | null;
  readonly daemonRssAtPeak: number | null;
  /** MemAvailable used at the peak over the sandboxes alive then (every process and the kernel's share). */
  readonly bytesPerSandbox: number | null;
}

export interface ServiceFigures {
  readonly daemonStartMs: number;
  readonly pool: number;
  /** `praetor run -- true` as a whole process, no daemon reachable. */
  readonly oneShotLocal: AnchorResult;
  /** `praetor run -- true` as a whole process, through praetord on its socket, as users start it (bin/praetor). */
  readonly oneShotDaemon: AnchorResult;
  /** The same through the node CLI (PRAETOR_NATIVE_CLIENT=0). */
  readonly oneShotDaemonNode?: AnchorResult;
  readonly apiExec: Summary | null;
  readonly apiCreateToFirstCommand: Summary | null;
  readonly apiDestroy: Summary | null;
  readonly live: LiveFigures | null;
}

/** The `praetor` command users get (package.json bin): a launcher that starts the native client for `run`. */
const PRAETOR_COMMAND = fileURLToPath(new URL('../../bin/praetor', import.meta.url));
const NATIVE_CLIENT = fileURLToPath(new URL('../../native/build/praetor-run', import.meta.url));

async function rssOf(pid: number): Promise<number | null> {
  try {
    const m = /^VmRSS:\s+(\d+)\s+kB$/m.exec(await readFile(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) * 1024 : null;
  } catch {
    return null;
  }
}

function oneShotEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, ...extra };
  if (extra.PRAETOR_HOST === undefined) delete env.PRAETOR_HOST;
  return env;
}

/** The host's busy and total CPU ticks so far (/proc/stat's first line; idle and iowait are not busy). */
async function hostTicks(): Promise<{ busy: number; total: number }> {
  const line = (await readFile('/proc/stat', 'utf8')).split('\n')[0] ?? '';
  const ticks = line.trim().split(/\s+/).slice(1).map(Number);
  const total = ticks.reduce((a, b) => a + b, 0);
  return { busy: total - (ticks[3] ?? 0) - (ticks[4] ?? 0), total };
}

/**
 * Waits (at most 15 s) until the host's CPUs were at most 10% busy in each of two 250 ms spells:
 * the daemon's own work (the pool's refill) and the kernel's (namespaces of destroyed sandboxes are
 * freed in its work queues, for a while after the one-shot runs) are then done.
 */
async function untilQuiet(): Promise<void> {
  const deadline = Date.now() + 15_000;
  let quiet = 0;
  let last = await hostTicks();
  while (quiet < 2 && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 250));
    const now = await hostTicks();
    const share = now.total > last.total ? (now.busy - last.busy) / (now.total - last.total) : 1;
    quiet = share <= 0.1 ? quiet + 1 : 0;
    last = now;
  }
}

async function timed(label: string, count: number, progress: PhaseProgress, errors: ErrorTally, once: () => Promise<string | null>): Promise<Summary | null> {
  const samples: number[] = [];
  progress.start(label, count);
  try {
    for (let i = 0; i < count; i++, progress.tick()) {
      const begin = performance.now();
      try {
        const why = await once();
        if (why === null) samples.push(elapsedMs(begin));
        else errors.add(label, why);
      } catch (err) {
        errors.add(label, errorMessage(err));
      }
    }
  } finally {
    progress.stop();
  }
  return summarize(samples);
}

export async function measureService(
  options: ServiceBenchOptions,
  apiFor: ServiceApiFactory,
  progress: PhaseProgress,
  errors: ErrorTally,
): Promise<ServiceFigures> {
  // As users start it: bin/praetor (the native client for `run`, which hands to node what it does not serve).
  const run = ['run', '--', 'true'];
  const native = existsSync(NATIVE_CLIENT) ? 'native client' : 'node: no native client built';
  // No daemon answers on this socket: the one-shot runs in its own process, as without praetord.
  const oneShotLocal = await runAnchor(
    { name: 'praetor-run', label: 'praetor run -- true (no daemon)', command: PRAETOR_COMMAND, args: run, env: oneShotEnv({ PRAETOR_SOCKET: '/nonexistent/praetord.sock' }) },
    options.iterations,
    progress,
  );
  const daemon = await spawnPraetord({ pool: options.pool });
  const api = apiFor(daemon.socketPath);
  try {
    const oneShotDaemon = await runAnchor(
      { name: 'praetor-run-daemon', label: `praetor run -- true (through praetord, ${native})`, command: PRAETOR_COMMAND, args: run, env: oneShotEnv({ PRAETOR_HOST: `unix:${daemon.socketPath}` }) },
      options.iterations,
      progress,
    );
    const oneShotDaemonNode = await runAnchor(
      {
        name: 'praetor-run-daemon-node',
        label: 'praetor run -- true (through praetord, node CLI)',
        command: process.execPath,
        args: [PRAETOR_CLI, ...run],
        env: oneShotEnv({ PRAETOR_HOST: `unix:${daemon.socketPath}` }),
      },
      options.iterations,
      progress,
    );
    const execSandbox = await api.create();
    let apiExec: Summary | null;
    try {
      // A steady-state figure: the one-shot runs' teardowns (the kernel frees their namespaces for
      // a while after) and the pool's refill (the sandbox just taken from it) run beside; timed
      // beside them, an exec measures them. The report says the figure is taken on a quiet host.
      for (let i = 0; i < 10; i++) await api.execTrue(execSandbox);
      await untilQuiet();
      apiExec = await timed('exec true over the API', options.iterations * 3, progress, errors, () => api.execTrue(execSandbox));
    } finally {
      await api.destroy(execSandbox).catch((err: unknown) => errors.add('api exec destroy', errorMessage(err)));
    }
    const destroys: number[] = [];
    const apiCreateToFirstCommand = await timed('create + first true over the API', options.iterations, progress, errors, async () => {
      const id = await api.create();
      const why = await api.execTrue(id);
      const begin = performance.now();
      await api.destroy(id);
      destroys.push(elapsedMs(begin));
      return why;
    });
    const live = options.live > 0 ? await measureLive(api, daemon.pid, options, progress, errors) : null;
    return {
      daemonStartMs: daemon.startMs,
      pool: options.pool,
      oneShotLocal,
      oneShotDaemon,
      oneShotDaemonNode,
      apiExec,
      apiCreateToFirstCommand,
      apiDestroy: summarize(destroys),
      live,
    };
  } finally {
    api.close();
    const code = await daemon.stop();
    if (code !== 0) errors.add('praetord', `exited ${code} on SIGTERM: ${daemon.stderr().trim().slice(-500)}`);
  }
}

async function measureLive(api: ServiceApi, daemonPid: number, options: ServiceBenchOptions, progress: PhaseProgress, errors: ErrorTally): Promise<LiveFigures> {
  const memAvailableBefore = await memAvailable();
  const daemonRssBefore = await rssOf(daemonPid);
  const ids: string[] = [];
  progress.start(`${options.live} live sandboxes over the API`, options.live);
  const createBegin = performance.now();
  try {
    await mapLimit(
      Array.from({ length: options.live }, (_, i) => i),
      options.parallelism,
      async () => {
        try {
          ids.push(await api.create());
        } catch (err) {
          errors.add('live create', errorMessage(err));
        }
      },
      () => progress.tick(),
    );
  } finally {
    progress.stop();
  }
  const createSeconds = elapsedMs(createBegin) / 1000;
  let ranTrue = 0;
  await mapLimit(ids, options.parallelism, async (id) => {
    const why = await api.execTrue(id).catch((err: unknown) => errorMessage(err));
    if (why === null) ranTrue++;
    else errors.add('live exec', why);
  });
  const memAvailableAtPeak = await memAvailable();
  const daemonRssAtPeak = await rssOf(daemonPid);
  const destroyBegin = performance.now();
  await mapLimit(ids, options.parallelism, (id) => api.destroy(id).catch((err: unknown) => errors.add('live destroy', errorMessage(err))));
  const used = memAvailableBefore !== null && memAvailableAtPeak !== null ? memAvailableBefore - memAvailableAtPeak : null;
  return {
    requested: options.live,
    created: ids.length,
    ranTrue,
    createSeconds,
    destroySeconds: elapsedMs(destroyBegin) / 1000,
    memAvailableBefore,
    memAvailableAtPeak,
    daemonRssBefore,
    daemonRssAtPeak,
    bytesPerSandbox: used !== null && ids.length > 0 ? used / ids.length : null,
  };
}
