// Red-team scenarios through real agent CLIs, one CLI and scenario after another, as one report:
// each scenario runs once per CLI (its id becomes `scenario@cli`), judged as a scripted run is.
import type { CliAgent } from '../agent/cli-agents/cli-agent.js';
import { errorMessage } from '../core/errors.js';
import { reportOf } from './evaluate.js';
import type { RedteamReport, ScenarioResult } from './redteam-result.js';
import type { RedteamListener } from './redteam-runner.js';
import type { Scenario } from './scenario-schema.js';
import { runAgentNativeScenario, type AgentNativeRedteamDeps, type StepMatch } from './agent-native-scenario.js';

/** What `--agent` runs unless scenarios are named: the ROME replay (the rogue script) and an honest coding session. */
export const AGENT_NATIVE_SCENARIOS: readonly string[] = ['rome-replay', 'python-bugfix'];

export interface AgentNativeListener extends RedteamListener {
  /** Which episode step and model turn each scenario step ran at. */
  matched?(result: ScenarioResult, matches: readonly StepMatch[], agentExit: string): void;
}

export async function runAgentNativeRedteam(
  scenarios: readonly Scenario[],
  agents: readonly CliAgent[],
  deps: AgentNativeRedteamDeps,
  listener: AgentNativeListener = {},
): Promise<RedteamReport> {
  const startedAt = Date.now();
  const results: ScenarioResult[] = [];
  const runs = agents.flatMap((agent) => scenarios.map((scenario) => ({ agent, scenario })));
  for (const [i, { agent, scenario }] of runs.entries()) {
    listener.scenarioStarted?.(scenario, i, runs.length);
    try {
      const { result, matches, agentExit } = await runAgentNativeScenario(scenario, agent, deps, listener);
      listener.matched?.(result, matches, agentExit);
      results.push(result);
    } catch (err) {
      // A CLI that could not run is a failed scenario in the report, not the end of the run.
      const failed: ScenarioResult = {
        id: `${scenario.id}@${agent.name}`,
        suite: scenario.suite,
        title: `${scenario.title} (through ${agent.name})`,
        description: scenario.description,
        episodeId: '',
        status: 'error',
        durationMs: 0,
        expectations: [],
        blocked: { expected: [], enforcedAt: [], ok: false },
        falseAlerts: [],
        bytesToDisallowed: 0,
        bytesByHost: {},
        passed: false,
        failures: [`could not run through ${agent.name}: ${errorMessage(err)}`],
        timeline: [],
      };
      listener.scenarioDone?.(failed);
      results.push(failed);
    }
  }
  return reportOf(deps.version, startedAt, scenarios, results);
}
