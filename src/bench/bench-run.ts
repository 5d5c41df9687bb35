// One benchmark run: the anchors, then praetor's phases on the given backend, gathered into
// one report with its ratios and the targets. The caller owns (and closes) the backend.
import { cpus, release } from 'node:os';
import type { SandboxBackend } from '../sandbox/backend.js';
import { measureAnchors } from './anchors.js';
import type { PhaseProgress } from './progress.js';
import { checkTargets, computeRatios, type BenchFigures, type BenchOptions, type BenchReport } from './report.js';
import { ErrorTally, measureCold, measureConcurrency, measureExec, measurePooled } from './sandbox-bench.js';
import { measureService, type ServiceApiFactory } from './service-bench.js';

export async function runBench(
  backend: SandboxBackend,
  options: BenchOptions,
  progress: PhaseProgress,
  /** How the service section reaches the API (the CLI passes its client); required when options.service. */
  serviceApi?: ServiceApiFactory,
): Promise<BenchReport> {
  const errors = new ErrorTally();
  // Anchors first, while no sandbox of this run is alive to compete with them for the CPUs; the
  // service section next, with its one-shot processes read against them, its daemon gone after.
  const anchors = await measureAnchors({ iterations: options.iterations, skipSrt: options.skipSrt, progress });
  const service =
    options.service && serviceApi !== undefined
      ? await measureService({ iterations: options.iterations, live: options.serviceLive, parallelism: options.parallelism, pool: 4 }, serviceApi, progress, errors)
      : null;
  const cold = await measureCold(backend, options.iterations, progress, errors);
  const pooled = await measurePooled(backend, options.iterations, progress, errors);
  const exec = await measureExec(backend, options.iterations * 3, progress, errors);
  const concurrency =
    options.concurrent > 0
      ? await measureConcurrency(backend, options.concurrent, options.parallelism, progress, errors)
      : null;
  const figures: BenchFigures = { anchors, praetor: { cold, pooled, exec }, concurrency, service };
  return {
    host: { cpus: cpus().length, kernel: release(), node: process.version, backend: backend.name },
    options,
    ...figures,
    ratios: computeRatios(figures),
    targets: checkTargets(figures),
    errors: errors.list(),
  };
}
