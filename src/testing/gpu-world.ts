// A recorded nvidia-smi replay (recordings/gpu) played through the real GPU sampler into a real
// Guard watching one in-memory sandbox made watchable: what the GPU tests of the guard and of the
// episode accounting share. The recording's pids are mapped to the sandbox's steps as
// /proc/<pid>/cgroup would map them on a GPU host (step 1 unless `owner` says otherwise).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { Guard } from '../guard/guard.js';
import { GpuSampler, type PidOwner } from '../monitor/resource/gpu-sampler.js';
import { loadRecording, replay } from '../bench/gpu-replay.js';
import { FakeSandbox } from './fake-sandbox.js';
import type { Sandbox } from '../sandbox/backend.js';
import { unitsOf, type GpuGrant } from '../sandbox/gpu/gpu-allocator.js';
import { parseGpuQuery } from '../sandbox/gpu/gpu-inventory.js';
import type { Alert } from '../detect/alert.js';

export const GPU_SANDBOX = 'sb-gpu';

/** A grant of the given GPU indexes of a recording's inventory. */
export function grantOf(recording: string, indexes: number[]): GpuGrant {
  const gpus = parseGpuQuery(loadRecording(recording).inventory).map((g) => ({ ...g, minor: g.index, mig: [] }));
  return { units: unitsOf(gpus).filter((u) => indexes.includes(u.gpuIndex)), shared: false };
}

export interface GpuRun {
  readonly alerts: readonly Alert[];
  readonly guard: Guard;
  readonly sampler: GpuSampler;
  readonly sandboxId: string;
  /** The guard's GPU accounting of the sandbox, read before the guard stopped. */
  readonly usage: ReturnType<Guard['gpuUsage']>;
}

export interface GpuRunOptions {
  /** The step's command has returned before the replay (its processes outlive it). */
  readonly stepDone?: boolean;
  /** Pause between frames in ms (0: as fast as the event loop goes). */
  readonly pace?: number;
  readonly during?: (r: ReturnType<typeof replay>) => Promise<void>;
  /** Called with the guard before it starts (to subscribe to its events). */
  readonly withGuard?: (guard: Guard) => void;
  /** Which step of the sandbox a recorded pid belongs to (null: a process of no step). */
  readonly stepOf?: (pid: number) => number | null;
}

/** Replays `recording` into a guard watching one sandbox that holds `grant`. */
export async function runGpuReplay(recording: string, grant: GpuGrant | null, opts: GpuRunOptions = {}): Promise<GpuRun> {
  const home = mkdtempSync(`${tmpdir()}/praetor-gpu-home-`);
  let open: () => void = () => undefined;
  const gate = new Promise<void>((resolve) => (open = resolve));
  const r = replay(loadRecording(recording), opts.pace ?? 0, gate);
  const held: { sampler: GpuSampler | null } = { sampler: null };
  const owner = (pid: number): Promise<PidOwner> => Promise.resolve({ sandboxId: GPU_SANDBOX, step: opts.stepOf === undefined ? 1 : opts.stepOf(pid) });
  const guard = new Guard({
    processMonitor: false,
    onError: () => undefined,
    blindHoldMs: 60_000,
    policy: { mode: 'monitor' },
    gpuSampler: (deps) => (held.sampler = new GpuSampler({ ...deps, exec: r.exec, spawnStream: r.spawnStream, pidToSandbox: owner })),
  });
  let finish: () => void = () => undefined;
  let started: () => void = () => undefined;
  const running = new Promise<void>((resolve) => (started = resolve));
  const fake = new FakeSandbox({
    id: GPU_SANDBOX,
    exec: () =>
      new Promise((resolve) => {
        finish = () => resolve({ exitCode: 0 });
        started();
      }),
  });
  const sandbox = Object.assign(Object.create(fake) as FakeSandbox, {
    watchable: () => ({ initPid: process.pid, homeDir: home, homeInSandbox: '/tmp/home' }),
    info: () => ({ ...fake.info(), gpuGrant: grant }),
  }) as unknown as Sandbox;
  opts.withGuard?.(guard);
  try {
    await guard.start();
    guard.sandboxCreated(sandbox);
    const step = sandbox.exec(['python3', 'train.py']);
    await running;
    if (opts.stepDone === true) {
      finish();
      await step;
    }
    open(); // the sandbox is watched and its step started: the recording plays from its first frame

    await opts.during?.(r);
    await r.finished;
    await held.sampler?.settle();
    await guard.settle();
    const alerts = [...guard.alerts(GPU_SANDBOX)];
    const usage = guard.gpuUsage(GPU_SANDBOX);
    finish();
    await step;
    return { alerts, guard, sampler: held.sampler as GpuSampler, sandboxId: GPU_SANDBOX, usage };
  } finally {
    open();
    await guard.stop();
    rmSync(home, { recursive: true, force: true });
  }
}
