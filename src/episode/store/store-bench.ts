// Micro-benchmark of the store's write path: how many steps a second runners can record when each
// step must be durable before its runner's next begins. One writer pays a sync of the log per step;
// many writers at once share syncs (group commit). It writes throwaway episodes: point it at a
// scratch store.
import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import type { StepRecordInput, TaskInput } from '../episode-model.js';
import type { EpisodeStore } from './episode-store.js';

export interface StoreThroughput {
  readonly steps: number;
  readonly stepsPerSecond: number;
  readonly msPerStep: number;
}

const OUTPUT = 'x'.repeat(1024);

/**
 * Appends `steps` typical steps (a shell tool call, 1 KiB of output, an alert every tenth), split
 * over `writers` episodes written at once, each awaiting its step before appending the next.
 */
export async function measureStoreThroughput(store: EpisodeStore, steps: number, writers = 1): Promise<StoreThroughput> {
  const run = randomUUID();
  const task: TaskInput = { id: 'store-bench', instruction: 'benchmark the episode store' };
  const t0 = Date.now();
  const episodeIds = Array.from({ length: writers }, (_, w) => `bench-${run}-${w}`);
  for (const id of episodeIds) {
    store.createEpisode({ id, taskId: task.id, task, sandboxId: 'bench', policy: 'bench', status: 'running', startedAt: t0, endedAt: null, outcome: null });
  }
  const start = performance.now();
  await Promise.all(
    episodeIds.map(async (id, w) => {
      const mine = Math.floor(steps / writers) + (w < steps % writers ? 1 : 0);
      for (let index = 1; index <= mine; index++) await store.appendStep(benchStep(id, index, t0));
    }),
  );
  const elapsedMs = performance.now() - start;
  for (const id of episodeIds) store.finishEpisode(id, 'completed', null);
  return { steps, stepsPerSecond: steps / (elapsedMs / 1000), msPerStep: elapsedMs / steps };
}

function benchStep(episodeId: string, index: number, t0: number): StepRecordInput {
  return {
    episodeId,
    index,
    turn: `turn-${index}`,
    action: { id: `call-${index}`, name: 'bash', arguments: { command: `make test TARGET=${index}` } },
    observation: { content: OUTPUT, isError: false, denied: false },
    startedAt: t0 + index,
    endedAt: t0 + index,
    sandboxSteps: [index],
    resources: { cpuSeconds: 0.2, memoryBytes: 64 * 2 ** 20 },
    alerts:
      index % 10 === 0
        ? [
            {
              id: `bench-rule:${index}`,
              ruleId: 'bench-rule',
              turn: `turn-${index}`,
              sandboxStep: index,
              technique: 'T1046',
              severity: 'medium',
              step: index,
              pid: 4242,
              time: t0 + index,
              description: 'benchmark alert',
            },
          ]
        : [],
    tokens: { prompt: 1200, completion: 80 },
  };
}
