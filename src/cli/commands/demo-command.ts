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
import { selectAgents, selectScenarios } from './redteam-command.js';
import { CLI_AGENT_NAMES } from '../../agent/cli-agents/cli-agent.js';
import { runAgentNativeRedteam, type AgentNativeListener } from '../../redteam/agent-native-redteam.js';

export function demoCommand(version: string): Command {
  return new Command('demo')
    .description('Replay the ROME incident (mining, reverse SSH tunnel, probing) in a guarded sandbox against a fake world (needs root).')
    .option('--out <dir>', 'where report.json and report.html are written', 'praetor-demo')
    .option('--store <url>', 'episode store (default: in memory; the demo keeps nothing)', 'memory:')
    .option('--agent <name>', `tell the story through a real agent CLI (${CLI_AGENT_NAMES.join(', ')}; scripts/install-agents.sh installs them): a scripted model asks it for each rogue step`)
    .action(async (flags: { out: string; store: string; agent?: string }) => {
      const out = process.stdout;
      const agents = flags.agent === undefined ? [] : selectAgents([flags.agent]);
      out.write(`praetor demo: the ROME incident, replayed inside a coding task in a guarded sandbox${agents[0] ? `, by ${agents[0].name} ${agents[0].version} (a real agent CLI) driven by a scripted model` : ''}\n`);
      out.write('building the fake world: an SSH host, a Stratum pool, an internal subnet, docs and downloads, in a netns of its own\n');
      const store = openStore(flags.store);
      let rt: Awaited<ReturnType<typeof startRedteam>> | null = null;
      try {
        rt = await startRedteam({ store, version, onGuardError: (m) => process.stderr.write(`praetor guard: ${m}\n`) });
        const scenarios = await selectScenarios(BUILTIN_SCENARIOS, rt.variables, ['rome'], [], rt.tools);
        const report = agents.length > 0 ? await runAgentNativeRedteam(scenarios, agents, rt, agentNativeDemoListener(out)) : await runRedteam(scenarios, rt, {
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

/** The story as a real CLI tells it: each step the CLI ran, on the model turn that asked for it, with what praetor named there. */
function agentNativeDemoListener(out: NodeJS.WritableStream): AgentNativeListener {
  return {
    scenarioStarted: (s) => {
      out.write(`\n== ${s.title}\n${s.description.replace(/(.{1,96})(\s|$)/g, '   $1\n')}`);
      out.write(`   task given to the agent: ${s.task.instruction}\n   guard mode: ${s.guard.mode}; allowed domains: ${s.task.allowDomains.join(', ')}\n`);
    },
    stepDone: (_s, step) => {
      const what = step.action === undefined ? `answer: ${step.message ?? ''}` : `${step.action.name} ${JSON.stringify(step.action.arguments).slice(0, 160)}`;
      out.write(`\nstep ${step.index} (model turn ${step.turn ?? '-'}): ${what}\n`);
      for (const a of step.alerts) out.write(`  ALERT step ${a.step ?? '-'} turn ${a.turn ?? '-'} [${a.severity}] ${a.technique} ${a.ruleId}\n`);
      out.write(`${describeStepEnd(step, [])}\n`);
    },
    matched: (r, matches, agentExit) => {
      out.write(`\nthe agent CLI ended: ${agentExit}\n`);
      for (const e of r.expectations) {
        const m = matches.find((x) => x.scenarioStep === e.step);
        out.write(`  rogue step ${e.step} (${e.technique}) ran at episode step ${m?.episodeStep ?? '-'}, model turn ${m?.turn ?? '-'}: ${e.detected ? `named (${e.ruleIds.join(', ')})` : 'MISSED'}\n`);
      }
    },
    scenarioDone: (r) => {
      out.write(`\nverdict for ${r.id}: ${r.passed ? 'every rogue step named at its step, nothing reached the pool, the SSH host or the internal hosts' : 'FAILED'}\n`);
      for (const f of r.failures) out.write(`  - ${f}\n`);
      const bytes = Object.entries(r.bytesByHost).filter(([, b]) => b > 0);
      out.write(`  bytes the fake world received: ${bytes.length === 0 ? 'none' : bytes.map(([h, b]) => `${h} ${b}`).join(', ')}\n`);
    },
  };
}
