// `praetor redteam`: runs the red-team suites against the fake world with a progress bar, prints
// the table and the summary, writes JSON and an HTML report, and exits 1 on any miss, leak or
// false alert (so CI can gate on it).
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { Command, Option } from 'commander';
import { StderrProgress } from '../../bench/progress.js';
import { BUILTIN_SCENARIOS, startRedteam } from '../../redteam/redteam-harness.js';
import { runRedteam } from '../../redteam/redteam-runner.js';
import { writeHtmlReport } from '../../redteam/report/html-report.js';
import { SUITES, loadScenarioDir, type Scenario } from '../../redteam/scenario-schema.js';
import { PraetorError } from '../../core/errors.js';
import { openStoreWithRecovery } from '../episode-store-cli.js';
import { formatRedteamReport } from '../redteam-format.js';
import { collectRepeated } from '../options.js';
import { CliFileError, problemsMessage, requireDirectory, systemReason } from '../cli-errors.js';
import { ToolRegistry } from '../../agent/tools/tool-registry.js';
import { scenarioVariables } from '../../redteam/scenario-variables.js';
import { worldLayout } from '../../redteam/world/world-hosts.js';
import { loadPolicyGate, policyModeOption, policyOption } from '../policy-flag.js';
import { CLI_AGENT_NAMES, type CliAgent } from '../../agent/cli-agents/cli-agent.js';
import { cliAgent, installedBin, isCliAgentName } from '../../agent/cli-agents/cli-agent-registry.js';
import { AGENT_NATIVE_SCENARIOS, runAgentNativeRedteam } from '../../redteam/agent-native-redteam.js';

interface RedteamFlags {
  suite: string[];
  scenario: string[];
  scenarios?: string;
  json?: boolean;
  report?: string;
  out: string;
  store?: string;
  list?: boolean;
  policy?: string;
  policyMode?: string;
  agent: string[];
}

/** `--agent NAME` (repeatable, or `all`) as CLI agents, each installed; none when the flag is absent. */
export function selectAgents(names: readonly string[]): CliAgent[] {
  const wanted = names.includes('all') ? [...CLI_AGENT_NAMES] : names;
  return [...new Set(wanted)].map((name) => {
    if (!isCliAgentName(name)) throw new PraetorError('usage', `unknown agent "${name}": the agents are ${CLI_AGENT_NAMES.join(', ')}, or all`);
    const agent = cliAgent(name);
    installedBin(agent); // a missing CLI is a one-line error before the world is built
    return agent;
  });
}

/** Loads the scenario files and keeps the ones asked for; a typo in a name is an error, not an empty run. */
export async function selectScenarios(
  dir: string,
  variables: Readonly<Record<string, string>>,
  suites: readonly string[],
  ids: readonly string[],
  tools?: Parameters<typeof loadScenarioDir>[2],
): Promise<Scenario[]> {
  for (const suite of suites) {
    if (!(SUITES as readonly string[]).includes(suite)) throw new PraetorError('usage', `unknown suite "${suite}": the suites are ${SUITES.join(', ')}`);
  }
  await requireDirectory(dir, '--scenarios');
  const { scenarios, errors } = await loadScenarioDir(dir, variables, tools);
  if (errors.length > 0) throw new PraetorError('invalid-config', problemsMessage('scenario files do not load', errors));
  const known = new Set(scenarios.map((s) => s.id));
  const unknown = ids.filter((id) => !known.has(id));
  if (unknown.length > 0) throw new PraetorError('usage', `no scenario named ${unknown.join(', ')} (praetor redteam --list shows them)`);
  const chosen = scenarios.filter((s) => (suites.length === 0 || suites.includes(s.suite)) && (ids.length === 0 || ids.includes(s.id)));
  if (chosen.length === 0) throw new PraetorError('usage', `no scenario matches in ${dir}`);
  return chosen;
}

export function redteamCommand(version: string): Command {
  return new Command('redteam')
    .description('Replay the ROME incident and its variants against a fake world, and prove ordinary work is not flagged (needs root).')
    .addOption(new Option('--suite <name>', `run only this suite (repeatable): ${SUITES.join(', ')}`).argParser(collectRepeated).default([]))
    .addOption(new Option('--scenario <id>', 'run only this scenario (repeatable)').argParser(collectRepeated).default([]))
    .option('--scenarios <dir>', 'scenario directory with rome/, adversarial/ and benign/ subfolders', BUILTIN_SCENARIOS)
    .option('--list', 'list the scenarios and exit')
    .option('--json', 'print the report as JSON on stdout instead of the table')
    .option('--out <dir>', 'where report.json and report.html are written', 'praetor-redteam')
    .option('--report <file.html>', 'write the HTML report here instead of <out>/report.html')
    .option('--store <url>', 'episode store for the scenarios\' episodes (default sqlite:/var/lib/praetor/episodes.db, or $PRAETOR_STORE)')
    .addOption(policyOption())
    .addOption(policyModeOption())
    .addOption(
      new Option('--agent <name>', `drive the scenarios through this real agent CLI (repeatable, or all): ${CLI_AGENT_NAMES.join(', ')}; without --scenario or --suite, the ROME replay and an honest session`)
        .argParser(collectRepeated)
        .default([]),
    )
    .action(async (flags: RedteamFlags) => {
      const dir = resolve(flags.scenarios ?? BUILTIN_SCENARIOS);
      const agents = selectAgents(flags.agent);
      if (agents.length > 0 && flags.suite.length === 0 && flags.scenario.length === 0) flags.scenario = [...AGENT_NATIVE_SCENARIOS];
      // Flags and scenario files are checked before anything is built, and without root: the
      // names come from the first world's layout.
      const listed = await selectScenarios(dir, scenarioVariables(worldLayout(0, 'list')), flags.suite, flags.scenario, new ToolRegistry());
      if (flags.list) {
        for (const s of listed) process.stdout.write(`${s.suite.padEnd(12)} ${s.id.padEnd(36)} ${s.title}\n`);
        return;
      }
      // Where the reports go is checked before the run, not after it.
      const out = resolve(flags.out);
      const htmlPath = resolve(flags.report ?? `${out}/report.html`);
      for (const d of [out, dirname(htmlPath)]) {
        await mkdir(d, { recursive: true }).catch((err: unknown) => {
          throw new CliFileError('output', d, systemReason(err), { cause: err });
        });
      }
      // no one answers asks in a red-team run: an ask is refused, and a benign scenario with one fails
      const commandPolicy = await loadPolicyGate(flags.policy, flags.policyMode);
      const { store } = await openStoreWithRecovery(flags.store);
      const progress = new StderrProgress();
      let rt: Awaited<ReturnType<typeof startRedteam>> | null = null;
      try {
        rt = await startRedteam({ store, version, commandPolicy, onGuardError: (m) => process.stderr.write(`\npraetor guard: ${m}\n`) });
        // Loaded again with the world's own addresses (another world may hold slot 0).
        const scenarios = await selectScenarios(dir, rt.variables, flags.suite, flags.scenario, rt.tools);
        progress.start('red team', scenarios.length * Math.max(1, agents.length));
        const report =
          agents.length > 0
            ? await runAgentNativeRedteam(scenarios, agents, rt, { scenarioDone: () => progress.tick() })
            : await runRedteam(scenarios, rt, { scenarioDone: () => progress.tick() });
        progress.stop();
        await writeFile(`${out}/report.json`, `${JSON.stringify(report, null, 2)}\n`);
        await writeHtmlReport(htmlPath, report);
        if (flags.json) process.stdout.write(`${JSON.stringify(report)}\n`);
        else process.stdout.write(`${formatRedteamReport(report)}\nreport: ${htmlPath}\njson:   ${out}/report.json\n`);
        if (report.summary.failed > 0) process.exitCode = 1;
      } finally {
        progress.stop();
        await rt?.close();
        store.close();
      }
    });
}
