// `praetor gc`: remove what dead praetor processes left behind.
import { Command } from 'commander';
import { collectGarbage } from '../../sandbox/local/gc.js';
import { defaultHostPaths } from '../../sandbox/local/host-paths.js';
import { EXIT } from '../exit-codes.js';

export function gcCommand(): Command {
  return new Command('gc')
    .description('Remove sandboxes (processes, netns, veth, cgroups, files) whose praetor is gone.')
    .option('--all', 'also remove sandboxes of live praetor processes')
    .option('--json', 'print the report as JSON')
    .action(async (flags: { all?: boolean; json?: boolean }) => {
      const report = await collectGarbage(defaultHostPaths(), { all: flags.all ?? false });
      if (flags.json) process.stdout.write(`${JSON.stringify(report)}\n`);
      else {
        process.stdout.write(`removed ${report.removed.length} sandbox(es)${report.removed.length ? `: ${report.removed.join(', ')}` : ''}\n`);
        if (report.live.length > 0) process.stdout.write(`left ${report.live.length} live sandbox(es) alone\n`);
        for (const p of report.problems) process.stderr.write(`problem: ${p}\n`);
      }
      if (report.problems.length > 0) process.exitCode = EXIT.sandboxFailure;
    });
}
