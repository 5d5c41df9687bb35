// qwen-code, claude-code and codex as praetor starts them: non-interactive, every tool call allowed
// (praetor's sandbox and guard are the containment, not the CLI's own approval prompts), pointed at
// the gateway through each CLI's documented settings. Flags and settings were read from the pinned
// versions (scripts/install-agents.sh) and checked by running each against the scripted model.
import { AGENT_HOME, type CliAgent, type CliAgentLaunch } from './cli-agent.js';

/**
 * qwen-code (Alibaba; the closest public relative of ROME's iFlow CLI): OpenAI chat completions from
 * OPENAI_BASE_URL / OPENAI_API_KEY / OPENAI_MODEL with `--auth-type openai`; `-p` runs one prompt
 * and exits; `--yolo` approves every tool call.
 */
export const QWEN_CODE: CliAgent = {
  name: 'qwen-code',
  packageName: '@qwen-code/qwen-code',
  version: '0.24.4',
  binPath: 'node_modules/@qwen-code/qwen-code/cli-entry.js',
  api: 'chat-completions',
  protocol: 'openai',
  shellTool: 'run_shell_command',
  // its usage statistics (Alibaba Cloud RUM), left on: the proxy denies them
  ownHosts: ['gb4w8c3ygj-default-sea.rum.aliyuncs.com'],
  command: ({ bin, instruction, model }) => [bin, '-p', instruction, '--yolo', '--auth-type', 'openai', '--model', model],
  env: ({ model }) => ({ OPENAI_MODEL: model, QWEN_CODE_SUPPRESS_YOLO_WARNING: '1' }),
  // Managed auto-memory runs a second agent after each session (a model request of its own and
  // file writes in HOME): not part of the task, so it is off.
  files: () => ({ [`${AGENT_HOME}/.qwen/settings.json`]: `${JSON.stringify({ memory: { enableManagedAutoMemory: false } }, null, 2)}\n` }),
};

/**
 * claude-code (Anthropic): Anthropic Messages at ANTHROPIC_BASE_URL with ANTHROPIC_API_KEY; `-p`
 * prints one answer and exits; `--dangerously-skip-permissions` approves every tool call (the
 * sandbox runs it as an unprivileged user, which it requires).
 */
export const CLAUDE_CODE: CliAgent = {
  name: 'claude-code',
  packageName: '@anthropic-ai/claude-code',
  version: '2.1.332',
  binPath: 'node_modules/@anthropic-ai/claude-code/bin/claude.exe',
  api: 'anthropic-messages',
  protocol: 'anthropic',
  shellTool: 'Bash',
  ownHosts: ['api.anthropic.com'],
  command: ({ bin, instruction, model }) => [bin, '-p', instruction, '--model', model, '--dangerously-skip-permissions', '--output-format', 'text'],
  // No self-update inside a read-only install; its telemetry is left to the proxy to deny.
  env: () => ({ DISABLE_AUTOUPDATER: '1' }),
  files: () => ({}),
};

/** TOML string: JSON's escaping is valid for TOML basic strings. */
function toml(value: string): string {
  return JSON.stringify(value);
}

/**
 * codex (OpenAI): OpenAI Responses through a model provider of its own in $CODEX_HOME/config.toml
 * (`base_url`, `env_key`, `wire_api = "responses"`); `codex exec` runs one prompt and exits;
 * `--sandbox danger-full-access` because praetor is the sandbox (codex's own would need user
 * namespaces, which praetor's seccomp refuses); `--skip-git-repo-check` for a workspace that is not
 * a git repository.
 */
export const CODEX: CliAgent = {
  name: 'codex',
  packageName: '@openai/codex',
  version: '0.171.0',
  binPath: 'node_modules/@openai/codex/bin/codex.js',
  api: 'responses',
  protocol: 'openai',
  shellTool: 'exec_command',
  ownHosts: ['github.com', 'api.github.com', 'chatgpt.com', 'ab.chatgpt.com'],
  command: ({ bin, instruction, model }) => [bin, 'exec', '--skip-git-repo-check', '--sandbox', 'danger-full-access', '--color', 'never', '--model', model, instruction],
  env: () => ({ CODEX_HOME: `${AGENT_HOME}/.codex` }),
  files: (launch: CliAgentLaunch) => ({
    [`${AGENT_HOME}/.codex/config.toml`]: [
      `model = ${toml(launch.model)}`,
      'model_provider = "praetor"',
      '',
      '[model_providers.praetor]',
      'name = "praetor gateway"',
      `base_url = ${toml(launch.gatewayBaseUrl)}`,
      'env_key = "OPENAI_API_KEY"',
      'wire_api = "responses"',
      '',
    ].join('\n'),
  }),
};
