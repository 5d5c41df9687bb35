// The real agent CLIs praetor runs inside a sandbox (agent-native): where each is installed, how it
// is started non-interactively and pointed at the model gateway through its own documented settings
// (base URL, key, model), and which model API it speaks. Pure: builders of argv, env and files;
// the episode runner executes them.
import type { ApiProtocol } from '../gateway/apis/model-api.js';
import type { ApiName } from '../gateway/gateway-wire.js';

export const CLI_AGENT_NAMES = ['qwen-code', 'claude-code', 'codex'] as const;
export type CliAgentName = (typeof CLI_AGENT_NAMES)[number];

/**
 * Where scripts/install-agents.sh puts them; /opt is in every sandbox's read-only base. Not under a
 * path that names praetor: claude-code writes its install path into every shell snapshot beside a
 * pkill wrapper, and guard-tamper reads kill plus "praetor" in one command line as an attack on the guard.
 */
export const DEFAULT_AGENTS_DIR = '/opt/agent-clis';

/** The sandbox's HOME (see the local backend), where the CLIs keep their settings and sessions. */
export const AGENT_HOME = '/tmp/home';

export interface CliAgentLaunch {
  /** The CLI's executable, as the sandbox sees it (the install dir is bound read-only at the same path). */
  readonly bin: string;
  readonly instruction: string;
  /** The model the CLI is told to ask for (the gateway may still replace it). */
  readonly model: string;
  /** The gateway's OpenAI-style base URL (with /v1) as the sandbox sees it. */
  readonly gatewayBaseUrl: string;
}

export interface CliAgent {
  readonly name: CliAgentName;
  readonly packageName: string;
  /** The version scripts/install-agents.sh pins; the scripts the red team plays fit its tools. */
  readonly version: string;
  /** Its executable under the install dir. */
  readonly binPath: string;
  /** The model API it speaks, and the upstream protocol the gateway needs for it. */
  readonly api: ApiName;
  readonly protocol: ApiProtocol;
  /** Its shell tool: what the scripted model calls to run a command. */
  readonly shellTool: string;
  /** Hosts it contacts on its own (telemetry, update and feature checks); the proxy denies and records them. */
  readonly ownHosts: readonly string[];
  /** argv of one non-interactive run on the instruction. */
  command(launch: CliAgentLaunch): string[];
  /** Its own settings in the environment (the gateway's URL and token come on top, from the runner). */
  env(launch: CliAgentLaunch): Record<string, string>;
  /** Settings files written into the sandbox before it starts, absolute path -> content. */
  files(launch: CliAgentLaunch): Record<string, string>;
}
