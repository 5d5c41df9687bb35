// bench-guard's GPU figures, from the recorded nvidia-smi outputs (recordings/gpu) replayed
// through the real sampler: its CPU cost per sample, and the time from GPU use to alert for each
// GPU detection (the recorded seconds until the frame that fires it, plus what praetor takes from
// that frame being written to the alert). No GPU is needed; nvidia-smi's own CPU is not in it.
import { readFile } from 'node:fs/promises';
import { Guard } from '../guard/guard.js';
import { GpuSampler, GPU_INTERVAL_MS } from '../monitor/resource/gpu-sampler.js';
import type { Sandbox } from '../sandbox/backend.js';
import { openBackend } from '../sandbox/open-backend.js';
import { unitsOf, type GpuGrant } from '../sandbox/gpu/gpu-allocator.js';
import { parseGpuQuery } from '../sandbox/gpu/gpu-inventory.js';
import { errorMessage } from '../core/errors.js';
import { RECORDINGS, loadRecording, replay } from './gpu-replay.js';
import type { ErrorTally } from './sandbox-bench.js';

export interface GpuSamplerCost {
  readonly samples: number;
  readonly cpuSeconds: number;
  /** CPU of praetor's process per sample, in microseconds. */
  readonly cpuMicrosPerSample: number;
}

export interface GpuDetectionFigure {
  readonly ruleId: string;
  readonly recording: string;
  /** Recorded seconds from the process's first frame on the GPU to the frame that fired the rule. */
  readonly recordedSeconds: number;
  /** From that frame being written to the alert, in ms (the sampler's quiet wait included). */
  readonly pipelineMs: number;
}

export interface GpuFigures {
  readonly sampler: GpuSamplerCost;
  readonly detections: readonly GpuDetectionFigure[];
  readonly paceMs: number;
}

/**
 * The sampler alone, every recording `passes` times as fast as it goes: what parsing, profiling and
 * attributing a sample cost. The owner lookup reads a /proc/<pid>/cgroup file, as the guard's does.
 */
export async function measureSamplerCost(passes = 10): Promise<GpuSamplerCost> {
  let samples = 0;
  let cpuSeconds = 0;
  for (let i = 0; i < passes; i++) {
    for (const name of RECORDINGS) {
      const r = replay(loadRecording(name));
      const sampler = new GpuSampler({
        exec: r.exec,
        spawnStream: r.spawnStream,
        emit: () => samples++,
        pidToSandbox: async () => {
          await readFile('/proc/self/cgroup', 'utf8');
          return { sandboxId: 'bench', step: 1 };
        },
      });
      const cpu0 = process.cpuUsage();
      await sampler.start();
      await r.finished;
      await sampler.settle();
      const cpu = process.cpuUsage(cpu0);
      sampler.stop();
      cpuSeconds += (cpu.user + cpu.system) / 1e6;
    }
  }
  return { samples, cpuSeconds, cpuMicrosPerSample: samples === 0 ? 0 : (cpuSeconds / samples) * 1e6 };
}

interface Case {
  readonly ruleId: string;
  readonly recording: string;
  readonly granted: boolean;
  /** The step's command returned before the GPU use (its process outlived it). */
  readonly stepDone: boolean;
}

const CASES: readonly Case[] = [
  { ruleId: 'gpu-without-grant', recording: 'inference', granted: false, stepDone: false },
  { ruleId: 'gpu-diverted', recording: 'diverted', granted: true, stepDone: true },
  { ruleId: 'gpu-hashing-profile', recording: 'miner', granted: true, stepDone: false },
];

function grantOf(recording: string): GpuGrant {
  const gpus = parseGpuQuery(loadRecording(recording).inventory).map((g) => ({ ...g, minor: g.index, mig: [] }));
  return { units: unitsOf(gpus).filter((u) => u.gpuIndex === 0), shared: false };
}

/**
 * One detection on a real sandbox (root) whose grant is the recording's GPU 0 (or none): the
 * recording's processes are attributed to the sandbox's step, frames are written `paceMs` apart
 * (over the sampler's 150 ms quiet wait, so each frame is flushed as nvidia-smi's 1 s frames are).
 */
async function measureDetection(c: Case, paceMs: number): Promise<GpuDetectionFigure | null> {
  let open: () => void = () => undefined;
  const r = replay(loadRecording(c.recording), paceMs, new Promise<void>((resolve) => (open = resolve)));
  const owner = { sandboxId: '', step: 1 };
  const guard = new Guard({
    processMonitor: false,
    onError: () => undefined,
    policy: { mode: 'monitor' },
    gpuSampler: (deps) => new GpuSampler({ ...deps, exec: r.exec, spawnStream: r.spawnStream, pidToSandbox: () => Promise.resolve({ ...owner }) }),
  });
  await guard.start();
  const backend = openBackend({});
  try {
    const real = await backend.create({});
    // The guard sees the sandbox with the recording's GPU granted (no GPU is here to grant).
    const grant = c.granted ? grantOf(c.recording) : null;
    const sandbox = Object.assign(Object.create(real) as Sandbox, { info: () => ({ ...real.info(), gpuGrant: grant }) });
    guard.sandboxCreated(sandbox);
    owner.sandboxId = sandbox.id;
    if (c.stepDone) owner.step = (await sandbox.exec(['true'])).step;
    else {
      void sandbox.exec(['sleep', '600']).catch(() => undefined);
      while (sandbox.runningSteps().size === 0) await new Promise((resolve) => setTimeout(resolve, 10));
      owner.step = [...sandbox.runningSteps()][0] ?? 1;
    }
    const frameOf = new Map<number, number>();
    const fired = new Promise<{ at: number; frame: number }>((resolve) => {
      guard.events.subscribe({ sandboxId: sandbox.id }, (e) => {
        if (e.kind === 'gpu-sample' && !frameOf.has(e.time)) frameOf.set(e.time, frameOf.size);
        if (e.kind === 'alert' && e.alert.ruleId === c.ruleId) {
          const trigger = e.alert.evidence.at(-1);
          resolve({ at: performance.now(), frame: trigger?.kind === 'gpu-sample' ? (frameOf.get(trigger.time) ?? -1) : -1 });
        }
      });
    });
    open();
    const result = await Promise.race([fired, r.finished.then(() => null)]);
    if (result === null || result.frame < 0) return null;
    const written = r.frameTimes[result.frame];
    if (written === undefined) return null;
    return { ruleId: c.ruleId, recording: c.recording, recordedSeconds: (result.frame * GPU_INTERVAL_MS) / 1000, pipelineMs: result.at - written };
  } finally {
    await guard.stop();
    await backend.close();
  }
}

export async function runGpuBench(errors: ErrorTally, paceMs = 250): Promise<GpuFigures> {
  const sampler = await measureSamplerCost();
  const detections: GpuDetectionFigure[] = [];
  for (const c of CASES) {
    try {
      const figure = await measureDetection(c, paceMs);
      if (figure === null) errors.add('gpu detection', `${c.ruleId} did not fire on the ${c.recording} recording`);
      else detections.push(figure);
    } catch (err) {
      errors.add('gpu detection', `${c.ruleId}: ${errorMessage(err)}`);
    }
  }
  return { sampler, detections, paceMs };
}
