// An episode with a real agent CLI (qwen-code, claude-code, codex) as the agent: its settings files
// are written into the sandbox, then it runs once on the task's instruction, non-interactively, with
// its model traffic going to the gateway; everything else is runAgentNativeEpisode's.
import { GATEWAY_BASE_URL } from '../../agent/gateway/model-gateway.js';
import type { CliAgent } from '../../agent/cli-agents/cli-agent.js';
import { installedBin } from '../../agent/cli-agents/cli-agent-registry.js';
import { runAgentNativeEpisode, type AgentNativeResult, type AgentNativeRunOptions } from './agent-native-runner.js';

export interface CliAgentEpisodeOptions extends Omit<AgentNativeRunOptions, 'agentCommand' | 'files' | 'env' | 'policyName'> {
  readonly agent: CliAgent;
  /** The model the CLI is told to use (the gateway may replace it upstream). */
  readonly model: string;
  /** Where the CLIs are installed; default $PRAETOR_AGENTS_DIR or /opt/agent-clis. */
  readonly agentsDir?: string;
  /** More env of the agent's exec, on top of the CLI's own settings. */
  readonly env?: Readonly<Record<string, string>>;
}

export async function runCliAgentEpisode(options: CliAgentEpisodeOptions): Promise<AgentNativeResult> {
  const { agent } = options;
  const bin = installedBin(agent, options.agentsDir);
  const launch = { bin, instruction: options.task.instruction, model: options.model, gatewayBaseUrl: GATEWAY_BASE_URL };
  return runAgentNativeEpisode({
    ...options,
    agentCommand: agent.command(launch),
    files: agent.files(launch),
    env: { ...agent.env(launch), ...options.env },
    policyName: `agent-native:${agent.name}`,
  });
}
