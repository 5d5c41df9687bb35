// The agent CLIs by name, and where they are installed.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { PraetorError } from '../../core/errors.js';
import { CLI_AGENT_NAMES, DEFAULT_AGENTS_DIR, type CliAgent, type CliAgentName } from './cli-agent.js';
import { CLAUDE_CODE, CODEX, QWEN_CODE } from './cli-agent-profiles.js';

const AGENTS: Readonly<Record<CliAgentName, CliAgent>> = { 'qwen-code': QWEN_CODE, 'claude-code': CLAUDE_CODE, codex: CODEX };

export function isCliAgentName(name: string): name is CliAgentName {
  return (CLI_AGENT_NAMES as readonly string[]).includes(name);
}

export function cliAgent(name: CliAgentName): CliAgent {
  return AGENTS[name];
}

/** The install dir: $PRAETOR_AGENTS_DIR, else /opt/agent-clis. */
export function agentsDir(env: NodeJS.ProcessEnv = process.env): string {
  const dir = env.PRAETOR_AGENTS_DIR;
  return dir !== undefined && dir !== '' ? dir : DEFAULT_AGENTS_DIR;
}

/** The CLI's executable, or a typed error saying how to install it. */
export function installedBin(agent: CliAgent, dir = agentsDir()): string {
  // The sandbox sees the host's /usr, /etc and /opt read-only at the same paths, nothing else of it.
  if (!/^\/(opt|usr)\/./.test(dir)) throw new PraetorError('invalid-config', `the agents dir ${dir} must lie under /opt or /usr, which sandboxes see read-only`);
  const bin = join(dir, agent.binPath);
  if (!existsSync(bin)) {
    throw new PraetorError('host-unsupported', `${agent.name} is not installed (no ${bin}): run scripts/install-agents.sh (installs ${agent.packageName}@${agent.version} into ${dir})`);
  }
  return bin;
}
