// Episode throughput: scripted steps per second across parallel episodes (echo-sized steps,
// guard on, every step stored durably), and the store's own write throughput.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { Guard } from '../guard/guard.js';
import { openBackend } from '../sandbox/open-backend.js';
import { ToolRegistry } from '../agent/tools/tool-registry.js';
import { ScriptedPolicy } from '../agent/policies/scripted-policy.js';
import { TaskSchema } from '../episode/episode-model.js';
import { openEpisodeStore } from '../episode/store/open-store.js';
import { runEpisode } from '../episode/episode-runner.js';
import { measureStoreThroughput } from '../episode/store/store-bench.js';
import type { PhaseProgress } from './progress.js';

export interface EpisodeBenchOptions {
  readonly episodes: number;
  readonly stepsPerEpisode: number;
  /** How the episodes' store syncs each step: FULL survives power loss, NORMAL a praetor crash. */
  readonly synchronous?: 'full' | 'normal';
}

export interface EpisodeFigures {
  readonly episodes: number;
  readonly steps: number;
  readonly seconds: number;
  readonly stepsPerSecond: number;
  /** Steps over the span from the first step's start to the last step's end: sandbox creation and destruction left out. */
  readonly steadyStepsPerSecond: number;
  readonly synchronous: 'full' | 'normal';
  readonly failedEpisodes: number;
  readonly store: {
    readonly stepsPerSecond: number;
    readonly msPerStep: number;
    readonly synchronous: 'full' | 'normal';
    /** Episodes written at once: 1 pays a sync per step, more share syncs (group commit). */
    readonly writers: number;
  }[];
}

export async function runEpisodeBench(options: EpisodeBenchOptions, progress: PhaseProgress): Promise<EpisodeFigures> {
  const dir = mkdtempSync(`${tmpdir()}/praetor-episode-bench-`);
  const guard = new Guard({ policy: { mode: 'block' } });
  await guard.start();
  const backend = openBackend({ observer: guard });
  const synchronous = options.synchronous ?? 'full';
  const store = openEpisodeStore(`sqlite:${dir}/episodes.db`, { synchronous });
  const tools = new ToolRegistry();
  const task = TaskSchema.parse({ id: 'echo', instruction: 'echo', budgets: { maxSteps: options.stepsPerEpisode } });
  const script = Array.from({ length: options.stepsPerEpisode }, (_, i) => ({ tool: 'bash', args: { command: `echo step ${i}` } }));
  progress.start('parallel episodes', options.episodes);
  const started = performance.now();
  let failed = 0;
  let steps = 0;
  let firstStart = Infinity;
  let lastEnd = 0;
  try {
    await Promise.all(
      Array.from({ length: options.episodes }, async () => {
        const onStep = (step: { startedAt: number; endedAt: number }): void => {
          firstStart = Math.min(firstStart, step.startedAt);
          lastEnd = Math.max(lastEnd, step.endedAt);
        };
        const episode = await runEpisode({ task, policy: new ScriptedPolicy(script), tools, backend, guard, store, onStep });
        if (episode.status !== 'completed') failed++;
        steps += store.steps(episode.id).length;
        progress.tick();
      }),
    );
  } finally {
    progress.stop();
  }
  const seconds = (performance.now() - started) / 1000;
  await backend.close();
  await guard.stop();
  store.close();
  const storeFigures: EpisodeFigures['store'] = [];
  for (const synchronous of ['full', 'normal'] as const) {
    for (const writers of [1, options.episodes]) {
      const s = openEpisodeStore(`sqlite:${dir}/throughput-${synchronous}-${writers}.db`, { synchronous });
      const t = await measureStoreThroughput(s, 2000, writers);
      s.close();
      storeFigures.push({ stepsPerSecond: t.stepsPerSecond, msPerStep: t.msPerStep, synchronous, writers });
    }
  }
  rmSync(dir, { recursive: true, force: true });
  const steadySeconds = Math.max(0.001, (lastEnd - firstStart) / 1000);
  return {
    episodes: options.episodes,
    steps,
    seconds,
    stepsPerSecond: steps / seconds,
    steadyStepsPerSecond: steps / steadySeconds,
    synchronous,
    failedEpisodes: failed,
    store: storeFigures,
  };
}
