// Episode throughput through praetord: N trainers at once, each driving one environment of the
// protocol (reset, M echo-sized bash steps, submit) over the daemon's socket; the daemon's guard
// is on and its SQLite store keeps every step durably (the daemon's default, synchronous=FULL).
// The protocol is reached through what the caller passes in (the CLI gives the client).
import { errorMessage } from '../core/errors.js';
import { spawnPraetord } from './praetord-spawn.js';
import type { PhaseProgress } from './progress.js';

export interface EnvApi {
  make(task: Record<string, unknown>): Promise<string>;
  reset(env: string): Promise<void>;
  /** Runs one action; resolves to whether the episode ended. */
  step(env: string, action: Record<string, unknown>): Promise<{ ended: boolean; observation: string }>;
  close(env: string): Promise<void>;
  shutdown(): void;
}

export type EnvApiFactory = (socketPath: string) => EnvApi;

export interface ServiceEpisodeFigures {
  readonly episodes: number;
  readonly steps: number;
  readonly seconds: number;
  readonly stepsPerSecond: number;
  /** From the first step sent to the last answered: resets (sandbox creation) and closes left out. */
  readonly steadyStepsPerSecond: number;
  readonly resetMsMean: number;
  readonly failedEpisodes: number;
  readonly errors: readonly string[];
}

export async function runServiceEpisodeBench(
  options: { episodes: number; stepsPerEpisode: number },
  apiFor: EnvApiFactory,
  progress: PhaseProgress,
): Promise<ServiceEpisodeFigures> {
  const daemon = await spawnPraetord({ pool: Math.min(options.episodes, 16), store: 'sqlite:{dir}/episodes.db', guard: 'block' });
  const api = apiFor(daemon.socketPath);
  const task = { id: 'echo', instruction: 'echo', budgets: { maxSteps: options.stepsPerEpisode + 1 } };
  const errors: string[] = [];
  let steps = 0;
  let failed = 0;
  let firstStep = Infinity;
  let lastStep = 0;
  let resetMs = 0;
  progress.start('parallel episodes through praetord', options.episodes);
  const started = performance.now();
  try {
    await Promise.all(
      Array.from({ length: options.episodes }, async () => {
        let env: string | null = null;
        try {
          env = await api.make(task);
          const r0 = performance.now();
          await api.reset(env);
          resetMs += performance.now() - r0;
          for (let i = 0; i < options.stepsPerEpisode; i++) {
            const t = performance.now();
            firstStep = Math.min(firstStep, t);
            const r = await api.step(env, { id: `s${i}`, name: 'bash', arguments: { command: `echo step ${i}` } });
            lastStep = Math.max(lastStep, performance.now());
            steps++;
            if (r.ended) throw new Error(`episode ended early at step ${i}: ${r.observation.slice(0, 200)}`);
          }
          const end = await api.step(env, { name: 'submit' });
          if (!end.ended) throw new Error('submit did not end the episode');
        } catch (err) {
          failed++;
          errors.push(errorMessage(err));
        } finally {
          if (env !== null) await api.close(env).catch(() => undefined);
          progress.tick();
        }
      }),
    );
  } finally {
    progress.stop();
    api.shutdown();
    const code = await daemon.stop();
    if (code !== 0) errors.push(`praetord exited ${code}: ${daemon.stderr().trim().slice(-300)}`);
  }
  const seconds = (performance.now() - started) / 1000;
  return {
    episodes: options.episodes,
    steps,
    seconds,
    stepsPerSecond: steps / seconds,
    steadyStepsPerSecond: steps / Math.max(0.001, (lastStep - firstStep) / 1000),
    resetMsMean: resetMs / Math.max(1, options.episodes),
    failedEpisodes: failed,
    errors: [...new Set(errors)],
  };
}
