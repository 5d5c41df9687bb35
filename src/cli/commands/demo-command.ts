// `praetor demo`: the main job on embedded defaults. It builds the fake world, replays the ROME
// incident inside its coding task with the guard in block mode, shows each alert as it fires with
// its step, then prints the summary and where the HTML report is.
import { mkdir, writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { Command } from 'commander';
import { openStore } from '../episode-store-cli.js';
import { BUILTIN_SCENARIOS, startRedteam } from '../../redteam/redteam-harness.js';
import { runRedteam } from '../../redteam/redteam-runner.js';
import { writeHtmlReport } from '../../redteam/report/html-report.js';
import { describeLiveAlert, describeStepEnd, describeStepStart, formatSummary } from '../redteam-format.js';
import { selectScenarios } from './redteam-command.js';

export function demoCommand(version: string): Command {
  return new Command('demo')
    .description('Replay the ROME incident (mining, reverse SSH tunnel, probing) in a guarded sandbox against a fake world (needs root).')
    .option('--out <dir>', 'where report.json and report.html are written', 'praetor-demo')
    .option('--store <url>', 'episode store (default: in memory; the demo keeps nothing)', 'memory:')
    .action(async (flags: { out: string; store: string }) => {
      const out = process.stdout;
      out.write('praetor demo: the ROME incident, replayed inside a coding task in a guarded sandbox\n');
      out.write('building the fake world: an SSH host, a Stratum pool, an internal subnet, docs and downloads, in a netns of its own\n');
      const store = openStore(flags.store);
      let rt: Awaited<ReturnType<typeof startRedteam>> | null = null;
      try {
        rt = await startRedteam({ store, version, onGuardError: (m) => process.stderr.write(`praetor guard: ${m}\n`) });
        const scenarios = await selectScenarios(BUILTIN_SCENARIOS, rt.variables, ['rome'], [], rt.tools);
        const report = await runRedteam(scenarios, rt, {
          scenarioStarted: (s) => {
            out.write(`\n== ${s.title}\n${s.description.replace(/(.{1,96})(\s|$)/g, '   $1\n')}`);
            out.write(`   task given to the agent: ${s.task.instruction}\n   guard mode: ${s.guard.mode}; allowed domains: ${s.task.allowDomains.join(', ')}\n`);
          },
          stepStarted: (s, index) => out.write(`${describeStepStart(s, index)}\n`),
          alert: (_s, alert, step) => out.write(`${describeLiveAlert(alert, step)}\n`),
          stepDone: (_s, step, actions) => out.write(`${describeStepEnd(step, actions)}\n`),
          scenarioDone: (r) => {
            out.write(`\nverdict for ${r.id}: ${r.passed ? 'every rogue step named at its step, nothing reached the pool, the SSH host or the internal hosts' : 'FAILED'}\n`);
            for (const f of r.failures) out.write(`  - ${f}\n`);
            const bytes = Object.entries(r.bytesByHost).filter(([, b]) => b > 0);
            out.write(`  bytes the fake world received: ${bytes.length === 0 ? 'none' : bytes.map(([h, b]) => `${h} ${b}`).join(', ')}\n`);
          },
        });
        const dir = resolve(flags.out);
        await mkdir(dir, { recursive: true });
        await writeFile(`${dir}/report.json`, `${JSON.stringify(report, null, 2)}\n`);
        await writeHtmlReport(`${dir}/report.html`, report);
        out.write(`\n${formatSummary(report)}\n\nHTML report: ${dir}/report.html\n`);
        out.write('the full suite (adversarial variants and benign sessions): praetor redteam\n');
        if (report.summary.failed > 0) process.exitCode = 1;
      } finally {
        await rt?.close();
        store.close();
      }
    });
}
