// `praetor bench-episodes`: scripted steps per second across parallel episodes, and the store's
// write throughput; figures, never assertions.
import { Command, Option } from 'commander';
import { runEpisodeBench } from '../../bench/episode-bench.js';
import { StderrProgress } from '../../bench/progress.js';
import { integerAtLeast } from '../options.js';

export function benchEpisodesCommand(): Command {
  return new Command('bench-episodes')
    .description('Measure scripted episode throughput (parallel episodes, echo-sized steps, guard on) and store writes (needs root).')
    .addOption(new Option('--episodes <n>', 'episodes run at once').argParser(integerAtLeast(1)).default(16))
    .addOption(new Option('--steps <n>', 'steps per episode').argParser(integerAtLeast(1)).default(25))
    .addOption(new Option('--synchronous <mode>', "the episodes' store: full (a step survives power loss) or normal (it survives a praetor crash)").choices(['full', 'normal']).default('full'))
    .option('--json', 'print JSON')
    .option('--service', 'through praetord: each episode is a trainer driving the environment protocol over its socket (the daemon\'s store, synchronous=full)')
    .action(async (flags: { episodes: number; steps: number; synchronous: 'full' | 'normal'; json?: boolean; service?: boolean }) => {
      if (flags.service) {
        const { runServiceEpisodeBench } = await import('../../bench/episode-service-bench.js');
        const { envApiOverSocket } = await import('../bench-service-api.js');
        const s = await runServiceEpisodeBench({ episodes: flags.episodes, stepsPerEpisode: flags.steps }, envApiOverSocket, new StderrProgress());
        if (flags.json) {
          process.stdout.write(`${JSON.stringify(s)}\n`);
          return;
        }
        const met = (x: number): string => (x >= 500 ? 'met' : 'NOT met');
        const lines = [
          `praetor bench-episodes --service (figures, not assertions; praetord's store, synchronous=full)`,
          `  ${s.episodes} environments at once over the socket, ${s.steps} steps in ${s.seconds.toFixed(2)} s with make, reset (a fresh sandbox), submit and close: ${s.stepsPerSecond.toFixed(0)} steps/s (target >= 500: ${met(s.stepsPerSecond)}); failed episodes: ${s.failedEpisodes}`,
          `  first step to last step, sandboxes already up: ${s.steadyStepsPerSecond.toFixed(0)} steps/s; reset took ${s.resetMsMean.toFixed(0)} ms on average`,
          ...s.errors.map((e) => `  error: ${e}`),
        ];
        process.stdout.write(`${lines.join('\n')}\n`);
        return;
      }
      const f = await runEpisodeBench({ episodes: flags.episodes, stepsPerEpisode: flags.steps, synchronous: flags.synchronous }, new StderrProgress());
      if (flags.json) {
        process.stdout.write(`${JSON.stringify(f)}\n`);
        return;
      }
      const met = (x: number): string => (x >= 200 ? 'met' : 'NOT met');
      const lines = [
        `praetor bench-episodes (figures, not assertions; store synchronous=${f.synchronous})`,
        `  ${f.episodes} scripted episodes at once, ${f.steps} steps in ${f.seconds.toFixed(2)} s with sandbox create and destroy: ${f.stepsPerSecond.toFixed(0)} steps/s (target >= 200: ${met(f.stepsPerSecond)}); failed episodes: ${f.failedEpisodes}`,
        `  first step to last step, sandboxes already up: ${f.steadyStepsPerSecond.toFixed(0)} steps/s (target >= 200: ${met(f.steadyStepsPerSecond)})`,
        ...f.store.map(
          (s) =>
            `  store writes (synchronous=${s.synchronous}, ${s.writers} episode${s.writers === 1 ? '' : 's'} at once): ${s.stepsPerSecond.toFixed(0)} steps/s, ${s.msPerStep.toFixed(3)} ms per step`,
        ),
      ];
      process.stdout.write(`${lines.join('\n')}\n`);
    });
}
