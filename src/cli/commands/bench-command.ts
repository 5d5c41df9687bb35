// `praetor bench`: figures for the local backend beside raw bubblewrap and sandbox-runtime,
// measured in the same run; timings are printed, never asserted (exit 0 unless it crashed).
import { Command, Option } from 'commander';
import { runBench } from '../../bench/bench-run.js';
import { StderrProgress } from '../../bench/progress.js';
import { formatReport, type BenchReport } from '../../bench/report.js';
import { errorMessage } from '../../core/errors.js';
import { openBackend } from '../../sandbox/open-backend.js';
import { EXIT } from '../exit-codes.js';
import { integerAtLeast } from '../options.js';
import { serviceApiOverSocket } from '../bench-service-api.js';
import { formatPolicyBench, measurePolicyCheck } from '../../bench/policy-bench.js';

interface BenchFlags {
  iterations: number;
  concurrent: number;
  parallel: number;
  json?: boolean;
  skipSrt?: boolean;
  skipService?: boolean;
  serviceLive: number;
  policyOnly?: boolean;
  fleet?: string;
  fleetOnly?: boolean;
}

export function benchCommand(): Command {
  return new Command('bench')
    .description('Measure the local sandbox backend against bare spawn, raw bwrap and srt (needs root).')
    .addOption(
      new Option('--iterations <n>', 'timed runs per figure (exec in a live sandbox runs 3n)')
        .argParser(integerAtLeast(1))
        .default(30),
    )
    .addOption(
      new Option('--concurrent <n>', 'sandboxes alive at once in the concurrency phase (0 skips it)')
        .argParser(integerAtLeast(0))
        .default(200),
    )
    .addOption(
      new Option('--parallel <n>', 'creates, execs and destroys in flight at a time in the concurrency phase')
        .argParser(integerAtLeast(1))
        .default(16),
    )
    .option('--json', 'print one JSON object with every figure instead of the tables')
    .option('--skip-srt', 'do not measure the sandbox-runtime (srt) anchor')
    .option('--skip-service', 'do not measure the service section (praetord, its API, one-shot praetor run)')
    .addOption(
      new Option('--service-live <n>', 'sandboxes kept alive at once through the API, with the memory each costs (0 skips it; the target is 1000)')
        .argParser(integerAtLeast(0))
        .default(0),
    )
    .option('--policy-only', 'measure only the command policy check (no root needed)')
    .option('--fleet <url>', 'also measure a fleet front against a single daemon over this PostgreSQL (a throwaway schema in it; --iterations creates, 5x that many execs per path)')
    .option('--fleet-only', 'measure only the fleet section (needs --fleet)')
    .action(async (flags: BenchFlags) => {
      // the fleet section first, on the quietest host; printed after the others
      const fleetBench = flags.fleetOnly === true || flags.fleet !== undefined ? await import('../bench-fleet.js') : null;
      const fleet = fleetBench === null ? null : await fleetBench.fleetSection(flags.fleet, flags.iterations);
      const fleetText = fleet === null || fleetBench === null ? '' : `\n${fleetBench.formatFleetBench(fleet)}`;
      if (flags.fleetOnly === true) return void process.stdout.write(flags.json ? `${JSON.stringify({ fleet })}\n` : fleetText.slice(1));
      // first, on a quiet host: the policy check is a few microseconds per command
      const policy = await measurePolicyCheck();
      if (flags.policyOnly) {
        process.stdout.write(flags.json ? `${JSON.stringify({ policyCheck: policy })}\n` : formatPolicyBench(policy));
        return;
      }
      const backend = openBackend();
      let report: BenchReport;
      try {
        report = await runBench(
          backend,
          {
            iterations: flags.iterations,
            concurrent: flags.concurrent,
            parallelism: flags.parallel,
            skipSrt: flags.skipSrt ?? false,
            service: flags.skipService !== true,
            serviceLive: flags.serviceLive,
          },
          new StderrProgress(),
          serviceApiOverSocket,
        );
      } finally {
        // Sandboxes a failed phase left alive; a failure here is printed, the figures still are.
        await backend.close().catch((err: unknown) => {
          process.stderr.write(`praetor: bench cleanup: ${errorMessage(err)}\n`);
          process.exitCode = EXIT.sandboxFailure;
        });
      }
      process.stdout.write(flags.json ? `${JSON.stringify({ ...report, policyCheck: policy, ...(fleet !== null ? { fleet } : {}) })}\n` : `${formatReport(report)}\n${formatPolicyBench(policy)}${fleetText}`);
    });
}
