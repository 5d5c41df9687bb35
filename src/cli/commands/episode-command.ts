// `praetor episode run|show|list`: run a task with a scripted or LLM policy in a guarded sandbox,
// and read back what happened, step by step.
import { Command, Option } from 'commander';
import { EPISODE_STATUSES, EpisodeStatusSchema, loadTask, type EpisodeRecord, type StepRecord, type Task } from '../../episode/episode-model.js';
import type { EpisodeStore } from '../../episode/store/episode-store.js';
import { runAgentNativeEpisode } from '../../episode/agent-native/agent-native-runner.js';
import { runCliAgentEpisode } from '../../episode/agent-native/cli-agent-episode.js';
import { CLI_AGENT_NAMES, type CliAgent } from '../../agent/cli-agents/cli-agent.js';
import { cliAgent, installedBin, isCliAgentName } from '../../agent/cli-agents/cli-agent-registry.js';
import type { UpstreamConfig } from '../../agent/gateway/gateway-responder.js';
import { GATEWAY_HOST, ModelGateway, gatewayUpstream } from '../../agent/gateway/model-gateway.js';
import { DnsResolver, StaticResolver } from '../../sandbox/network/resolver.js';
import { runEpisode } from '../../episode/episode-runner.js';
import { ToolRegistry } from '../../agent/tools/tool-registry.js';
import { ScriptedPolicy, loadScript } from '../../agent/policies/scripted-policy.js';
import { LlmPolicy } from '../../agent/policies/llm-policy.js';
import { OpenAiClient } from '../../agent/model/openai-client.js';
import type { AgentPolicy } from '../../agent/policies/policy.js';
import { Guard } from '../../guard/guard.js';
import type { GuardMode } from '../../guard/guard-policy.js';
import type { SandboxBackend } from '../../sandbox/backend.js';
import { openBackend } from '../../sandbox/open-backend.js';
import { PraetorError } from '../../core/errors.js';
import { problemsMessage, readInputFile } from '../cli-errors.js';
import { openStoreWithRecovery } from '../episode-store-cli.js';
import { describeEpisode, describeStep, episodeRow } from '../episode-format.js';
import { EXIT } from '../exit-codes.js';
import { loadPolicyGate, policyModeOption, terminalApprover } from '../policy-flag.js';
import { findDaemon } from '../daemon-target.js';

interface RunFlags {
  agent?: string;
  policy?: string;
  model?: string;
  modelName?: string;
  apiKeyEnv?: string;
  stream?: boolean;
  guard: GuardMode;
  store?: string;
  json?: boolean;
  script?: string;
  policyMode?: string;
  local?: boolean;
}

/** `--policy scripted:FILE` is the agent (kept for compatibility; --script is its name now); any other value is a command policy. */
function splitPolicy(flags: RunFlags): { script: string | undefined; commandPolicy: string | undefined } {
  const scripted = flags.policy?.startsWith('scripted:') ? flags.policy : undefined;
  if (scripted !== undefined && flags.script !== undefined) throw new PraetorError('usage', 'give --script or --policy scripted:FILE, not both');
  return { script: flags.script !== undefined ? `scripted:${flags.script}` : scripted, commandPolicy: scripted === undefined ? flags.policy : undefined };
}

async function choosePolicy(flags: RunFlags, tools: ToolRegistry, budgets: { maxSteps: number; maxTokens?: number | undefined; maxSeconds: number }): Promise<AgentPolicy> {
  if (flags.policy !== undefined && flags.model !== undefined) throw new PraetorError('usage', 'give --policy or --model, not both');
  if (flags.policy !== undefined) {
    const m = /^scripted:(.+)$/.exec(flags.policy);
    if (!m?.[1]) throw new PraetorError('usage', `--policy must be scripted:FILE, got "${flags.policy}"`);
    const loaded = loadScript(await readInputFile(m[1]), m[1], tools);
    if (loaded.errors.length > 0) throw new PraetorError('invalid-config', problemsMessage(`script ${m[1]}`, loaded.errors));
    return new ScriptedPolicy(loaded.steps, `scripted:${m[1]}`);
  }
  if (flags.model !== undefined) {
    if (flags.modelName === undefined) throw new PraetorError('usage', '--model needs --model-name');
    const apiKey = flags.apiKeyEnv ? process.env[flags.apiKeyEnv] : undefined;
    const client = new OpenAiClient({ baseUrl: flags.model, model: flags.modelName, ...(apiKey ? { apiKey } : {}) });
    return new LlmPolicy({ client, tools: tools.declarations(), stream: flags.stream ?? false, budgets });
  }
  throw new PraetorError('usage', 'give a policy: --policy scripted:FILE, or --model URL --model-name NAME');
}

function runSubcommand(): Command {
  return new Command('run')
    .description('Run a task (YAML) in a fresh guarded sandbox with a scripted or LLM policy; every step is stored.')
    .argument('<task.yaml>', 'the task: instruction, setup, verifier, budgets, sandbox options')
    .option('--script <FILE>', 'replay tool calls from a YAML or JSONL file (also --policy scripted:FILE)')
    .option('--policy <FILE|preset>', 'command policy checked before every command runs (a YAML file, or default, strict, permissive); scripted:FILE replays tool calls as --script does')
    .addOption(policyModeOption())
    .option('--agent <name|command>', `agent-native: run an agent CLI inside the sandbox: ${CLI_AGENT_NAMES.join(', ')} (installed by scripts/install-agents.sh; the task's \`model\` says which model), or a command (words separated by spaces, no shell quoting); its model calls go to praetor's gateway, which forwards them to the task's model or --model`)
    .option('--model <url>', 'OpenAI-compatible endpoint, e.g. http://127.0.0.1:8000/v1')
    .option('--model-name <name>', 'model to ask for')
    .option('--api-key-env <VAR>', 'environment variable holding the API key')
    .option('--stream', 'stream model responses')
    .addOption(new Option('--guard <mode>', 'what the guard does on an alert').choices(['monitor', 'block', 'freeze', 'terminate']).default('block'))
    .option('--store <url>', 'episode store (default sqlite:/var/lib/praetor/episodes.db, or $PRAETOR_STORE)')
    .option('--json', 'print the episode and its steps as JSON')
    .option('--local', 'run in this process even when praetord answers (always so with --agent, --store, a command --policy or a task with a host workspace)')
    .action(async (taskPath: string, flags: RunFlags) => {
      const loaded = loadTask(await readInputFile(taskPath), taskPath);
      if ('errors' in loaded) throw new PraetorError('invalid-config', problemsMessage(`task ${taskPath}`, loaded.errors));
      const { task } = loaded;
      const tools = new ToolRegistry();
      const { script, commandPolicy } = splitPolicy(flags);
      const agentFlags: RunFlags = { ...flags, policy: script };
      if (flags.agent !== undefined) return runAgentNative(task, agentFlags, commandPolicy);
      const policy = await choosePolicy(agentFlags, tools, task.budgets);
      // Through praetord when one answers, unless this run needs this host: a store of its own,
      // a command policy of its own, or a workspace folder here (a request never names a host path).
      const here = flags.local || flags.store !== undefined || commandPolicy !== undefined || flags.policyMode !== undefined || task.workspace !== undefined;
      const daemon = here ? null : await findDaemon();
      if (daemon !== null) {
        process.exitCode = await (await import('../episode-remote.js')).runEpisodeRemote(daemon, task, policy, flags.json === true);
        return;
      }
      flags.policy = commandPolicy;
      await withEpisodeWorld(flags, null, (world) => runEpisode({ task, policy, tools, ...world }));
    });
}

/**
 * What both kinds of run share: the store (with crash recovery), a started guard, a backend wired
 * to it, live step output, the report and the exit code, and cleanup in every case.
 */
async function withEpisodeWorld(
  flags: RunFlags,
  resolver: StaticResolver | null,
  run: (world: { store: EpisodeStore; guard: Guard; backend: SandboxBackend; onStep: (step: StepRecord) => void }) => Promise<EpisodeRecord>,
): Promise<void> {
  const { store, aborted } = await openStoreWithRecovery(flags.store);
  if (aborted.length > 0 && !flags.json) process.stderr.write(`praetor: marked ${aborted.length} episode(s) of a dead praetor as aborted: ${aborted.join(', ')}\n`);
  const commandPolicy = await loadPolicyGate(flags.policy, flags.policyMode, flags.json ? undefined : terminalApprover());
  const guard = new Guard({ policy: { mode: flags.guard }, ...(commandPolicy ? { commandPolicy } : {}) });
  await guard.start();
  const backend = openBackend({ observer: guard, ...(resolver ? { resolver } : {}) });
  const started = Date.now();
  const onStep = (step: StepRecord): void => {
    if (!flags.json) process.stdout.write(`${describeStep(step, started).join('\n')}\n`);
  };
  try {
    const episode = await run({ store, guard, backend, onStep });
    const steps = store.steps(episode.id);
    if (flags.json) process.stdout.write(`${JSON.stringify({ episode, steps })}\n`);
    else process.stdout.write(`\n${describeEpisode(episode, steps)}`);
    if (episode.status !== 'completed') process.exitCode = episode.status === 'terminated' ? EXIT.policyDenied : 1;
  } finally {
    await backend.close().catch(() => undefined);
    await guard.stop();
    store.close();
  }
}

/** The gateway's upstream: --model/--model-name when given, else the task's `model`. */
function agentUpstream(task: Task, flags: RunFlags, agent: CliAgent | null): UpstreamConfig {
  const fromFlags = flags.model !== undefined || flags.modelName !== undefined;
  if (fromFlags && (flags.model === undefined || flags.modelName === undefined)) throw new PraetorError('usage', '--model URL and --model-name NAME go together');
  if (!fromFlags && task.model === undefined) {
    throw new PraetorError('usage', '--agent needs a model: the task\'s `model: {name, baseUrl}`, or --model URL --model-name NAME (the gateway forwards there)');
  }
  const keyEnv = fromFlags ? flags.apiKeyEnv : task.model?.apiKeyEnv;
  const apiKey = keyEnv ? process.env[keyEnv] : undefined;
  return {
    baseUrl: flags.model ?? task.model?.baseUrl ?? '',
    model: flags.modelName ?? task.model?.name ?? '',
    protocol: fromFlags ? (agent?.protocol ?? 'openai') : (task.model?.protocol ?? 'openai'),
    ...(apiKey ? { apiKey } : {}),
  };
}

/** Agent-native: the agent runs inside the sandbox; praetor's gateway records its model turns. */
async function runAgentNative(task: Task, flags: RunFlags, commandPolicy: string | undefined): Promise<void> {
  if (flags.policy !== undefined) throw new PraetorError('usage', 'give --agent or --policy, not both');
  const agentCommand = (flags.agent ?? '').trim().split(/\s+/).filter(Boolean);
  if (agentCommand.length === 0) throw new PraetorError('usage', '--agent needs a command, or one of ' + CLI_AGENT_NAMES.join(', '));
  const name = agentCommand.length === 1 ? (agentCommand[0] ?? '') : '';
  const agent = isCliAgentName(name) ? cliAgent(name) : null;
  const upstream = agentUpstream(task, flags, agent);
  if (agent !== null && upstream.protocol !== agent.protocol) {
    throw new PraetorError('invalid-config', `${agent.name} speaks ${agent.api}: its model needs an ${agent.protocol}-compatible upstream, the task gives ${upstream.protocol ?? 'openai'}`);
  }
  if (agent !== null) installedBin(agent); // before any sandbox: a missing CLI is a one-line error
  const gateway = new ModelGateway({ upstream });
  const { port } = await gateway.listen();
  const resolver = new StaticResolver({ [GATEWAY_HOST]: gatewayUpstream(port) }, new DnsResolver());
  try {
    await withEpisodeWorld({ ...flags, policy: commandPolicy }, resolver, async (world) =>
      agent === null
        ? (await runAgentNativeEpisode({ task, agentCommand, gateway, ...world })).episode
        : (await runCliAgentEpisode({ task, agent, model: upstream.model ?? '', gateway, ...world })).episode,
    );
  } finally {
    await gateway.close();
  }
}

function showSubcommand(): Command {
  return new Command('show')
    .description('Show one episode: a timeline of its steps, alerts and outcome.')
    .argument('<id>', 'episode id')
    .option('--store <url>', 'episode store')
    .option('--json', 'print JSON')
    .action(async (id: string, flags: { store?: string; json?: boolean }) => {
      const { store } = await openStoreWithRecovery(flags.store);
      try {
        const episode = store.getEpisode(id);
        if (episode === null) throw new PraetorError('usage', `no episode ${id}`);
        const steps = store.steps(id);
        process.stdout.write(flags.json ? `${JSON.stringify({ episode, steps })}\n` : describeEpisode(episode, steps));
      } finally {
        store.close();
      }
    });
}

function listSubcommand(): Command {
  return new Command('list')
    .description('List episodes, newest first.')
    .option('--status <status>', 'only this status (running, completed, failed, aborted, terminated)')
    .option('--limit <n>', 'at most this many', '50')
    .option('--store <url>', 'episode store')
    .option('--json', 'print JSON')
    .action(async (flags: { status?: string; limit: string; store?: string; json?: boolean }) => {
      const { store } = await openStoreWithRecovery(flags.store);
      try {
        const status = flags.status === undefined ? undefined : EpisodeStatusSchema.safeParse(flags.status);
        if (status && !status.success) throw new PraetorError('usage', `--status must be one of ${EPISODE_STATUSES.join(', ')}`);
        const limit = Number(flags.limit);
        if (!Number.isInteger(limit) || limit < 1) throw new PraetorError('usage', `--limit needs a positive whole number, got "${flags.limit}"`);
        const episodes = store.listEpisodes({ ...(status ? { status: status.data } : {}), limit });
        if (flags.json) process.stdout.write(`${JSON.stringify(episodes)}\n`);
        else for (const e of episodes) process.stdout.write(`${episodeRow(e)}\n`);
      } finally {
        store.close();
      }
    });
}

export function episodeCommand(): Command {
  return new Command('episode')
    .description('Run and inspect episodes: tasks solved by an agent in a guarded sandbox.')
    .addCommand(runSubcommand().exitOverride())
    .addCommand(showSubcommand().exitOverride())
    .addCommand(listSubcommand().exitOverride());
}
