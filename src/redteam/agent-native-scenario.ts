// A red-team scenario driven through a real agent CLI (qwen-code, claude-code, codex) instead of
// praetor's scripted policy: the scripted model asks the CLI, turn by turn, to run each of the
// scenario's steps with its own shell tool; the CLI runs them inside the guarded sandbox; then the
// run is judged as any scenario: the technique at the right step (the episode step that ran the
// scenario step's command, on the model turn that asked for it), what the guard stopped, false
// alerts, bytes at hosts the agent must never reach.
import type { CliAgent } from '../agent/cli-agents/cli-agent.js';
import type { FakeModelServer, ScriptTurn } from '../agent/cli-agents/scripted-model-server.js';
import type { ModelGateway } from '../agent/gateway/model-gateway.js';
import type { Alert } from '../detect/alert.js';
import { runCliAgentEpisode } from '../episode/agent-native/cli-agent-episode.js';
import type { StepRecord } from '../episode/episode-model.js';
import type { Sandbox } from '../sandbox/backend.js';
import { evaluateScenario } from './evaluate.js';
import type { ScenarioResult } from './redteam-result.js';
import { disallowedHosts, settledBytesByHost, type RedteamDeps, type RedteamListener } from './redteam-runner.js';
import { scenarioTask, type Scenario, type ScenarioStep } from './scenario-schema.js';

/** The scripted model's last word, once every step ran. */
export const FINAL_ANSWER = 'Done: every step ran.';

function quote(text: string): string {
  return `'${text.replace(/'/g, `'\\''`)}'`;
}

/** A file's content written by a shell command, whatever bytes it holds. */
function writeCommand(path: string, content: string): string {
  return `printf %s ${quote(Buffer.from(content).toString('base64'))} | base64 -d > ${quote(path)}`;
}

/**
 * One scenario step as the shell command the CLI's shell tool runs: praetor's own tools (read_file,
 * list_dir, write_file, edit_file, grep) become the command that does the same, so one script
 * drives every CLI whatever its other tools are called. Null for a tool with no shell form.
 */
export function stepCommand(step: Pick<ScenarioStep, 'tool' | 'args'>): string | null {
  const a = step.args;
  const str = (key: string): string => {
    const v = a[key];
    return typeof v === 'string' ? v : '';
  };
  switch (step.tool) {
    case 'bash':
      return str('command') || null;
    case 'read_file':
      return `cat -- ${quote(str('path'))}`;
    case 'list_dir':
      return `ls -la -- ${quote(str('path') || '.')}`;
    case 'write_file':
      return writeCommand(str('path'), str('content'));
    case 'edit_file': {
      // exact replace of one occurrence, as praetor's edit_file does
      const program = 'import sys;p,o,n=sys.argv[1:4];t=open(p).read();assert o in t,"old_string not found";open(p,"w").write(t.replace(o,n,1))';
      return `python3 -c ${quote(program)} ${quote(str('path'))} ${quote(str('old_string'))} ${quote(str('new_string'))}`;
    }
    case 'grep':
      return `grep -rn -- ${quote(str('pattern'))} ${quote(str('path') || '.')}`;
    default:
      return null;
  }
}

/** The model's script for a scenario: one shell call per step, in order, then a final answer. */
export function scenarioModelScript(scenario: Scenario): { script: ScriptTurn[]; commands: string[] } {
  const commands = scenario.steps.map((step, i) => {
    const command = stepCommand(step);
    if (command === null) throw new Error(`step ${i + 1} uses ${step.tool}, which has no shell form for an agent CLI`);
    return command;
  });
  return { script: [...commands.map((shell) => ({ toolCalls: [{ shell }] })), { text: FINAL_ANSWER }], commands };
}

/** The command a stored step ran through a CLI's shell tool (command for qwen-code and claude-code, cmd for codex). */
export function stepShellCommand(step: StepRecord): string | null {
  const args = step.action?.arguments;
  if (args === undefined) return null;
  const value = args.command ?? args.cmd;
  if (typeof value === 'string') return value;
  // codex's older shell tool: ["bash", "-lc", COMMAND]
  return Array.isArray(value) && typeof value.at(-1) === 'string' ? (value.at(-1) as string) : null;
}

/** Scenario step k -> the episode step that ran its command (in order), with the model turn that asked for it. */
export interface StepMatch {
  readonly scenarioStep: number;
  readonly episodeStep: number | null;
  readonly turn: string | null;
}

/** The command's own output from a shell tool's result: qwen-code wraps it as `Command: ...\nDirectory: ...\nOutput: OUT\nExit Code: N...`. */
export function commandOutput(result: string): string {
  const m = /^Command: [\s\S]*?\nOutput: ([\s\S]*?)(?:\nExit Code: [\s\S]*)?$/.exec(result);
  return m?.[1] ?? result;
}

/** Synthetic exec-step numbers the judge's view uses: one per scenario step, apart from real ones. */
const VIEW_BASE = 1_000_000;

/**
 * The run as the judge reads a scripted one: one step per scenario step, numbered as the scenario
 * numbers them, each alert on the step the episode stored it on. Pure.
 */
export function agentNativeView(
  commands: readonly string[],
  episodeSteps: readonly StepRecord[],
  alerts: readonly Alert[],
): { steps: StepRecord[]; alerts: Alert[]; matches: StepMatch[] } {
  const matches: StepMatch[] = [];
  const steps: StepRecord[] = [];
  const viewStepOf = new Map<number, number>();
  let from = 0;
  commands.forEach((command, i) => {
    const at = episodeSteps.findIndex((s, j) => j >= from && stepShellCommand(s) === command);
    const found = at < 0 ? undefined : episodeSteps[at];
    if (found === undefined) {
      matches.push({ scenarioStep: i + 1, episodeStep: null, turn: null });
      return;
    }
    from = at + 1;
    matches.push({ scenarioStep: i + 1, episodeStep: found.index, turn: found.turn ?? null });
    viewStepOf.set(found.index, VIEW_BASE + i + 1);
    const observation = found.observation === null ? null : { ...found.observation, content: commandOutput(found.observation.content) };
    steps.push({ ...found, observation, index: i + 1, sandboxSteps: [VIEW_BASE + i + 1] });
  });
  // An alert stored on a step that is not a scenario step (a side request, the final answer) or on
  // none is one no step can be named for.
  const storedOn = new Map<string, number>();
  for (const s of episodeSteps) for (const a of s.alerts) storedOn.set(a.id, s.index);
  const viewAlerts = alerts.map((a) => {
    const episodeStep = storedOn.get(a.id);
    const view = episodeStep === undefined ? undefined : viewStepOf.get(episodeStep);
    return { ...a, step: view ?? null };
  });
  return { steps, alerts: viewAlerts, matches };
}

export interface AgentNativeRedteamDeps extends RedteamDeps {
  readonly model: FakeModelServer;
  readonly gateway: ModelGateway;
}

export interface AgentNativeScenarioResult {
  readonly result: ScenarioResult;
  readonly matches: readonly StepMatch[];
  /** How the CLI's exec ended. */
  readonly agentExit: string;
}

export async function runAgentNativeScenario(
  scenario: Scenario,
  agent: CliAgent,
  deps: AgentNativeRedteamDeps,
  listener: RedteamListener = {},
): Promise<AgentNativeScenarioResult> {
  const { world, guard, observer } = deps;
  const { script, commands } = scenarioModelScript(scenario);
  const before = await settledBytesByHost(world);
  const started = Date.now();
  deps.model.play(script);
  observer.usePolicy({ ...scenario.guard, mode: 'monitor' });
  let sandbox: Sandbox | null = null;
  const run = await runCliAgentEpisode({
    task: scenarioTask(scenario),
    agent,
    model: 'praetor-redteam',
    backend: deps.backend,
    guard,
    store: deps.store,
    gateway: deps.gateway,
    beforeAgent: (created) => {
      // The setup is the task author's environment; from the agent's start the scenario's policy holds.
      sandbox = created;
      guard.setPolicy(created.id, scenario.guard);
      guard.setCommandPolicy(created.id, deps.commandPolicy ?? null);
    },
    onStep: (step) => listener.stepDone?.(scenario, step, []),
  });
  const { episode } = run;
  const sb = sandbox as Sandbox | null;
  const view = agentNativeView(commands, deps.store.steps(episode.id), guard.alerts(episode.sandboxId));
  const after = await settledBytesByHost(world);
  const delta = Object.fromEntries(Object.entries(after).map(([name, bytes]) => [name, bytes - (before[name] ?? 0)]));
  const result = evaluateScenario({
    scenario,
    episodeId: episode.id,
    status: episode.status,
    ...(episode.statusReason !== undefined ? { statusReason: episode.statusReason } : {}),
    durationMs: Date.now() - started,
    steps: view.steps,
    alerts: view.alerts,
    actions: guard.actions(episode.sandboxId),
    network: sb?.networkEvents() ?? [],
    bytesByHost: delta,
    disallowedHosts: disallowedHosts(world, scenario.task.allowDomains),
    policyRun: (deps.commandPolicy ?? null) !== null,
  });
  const agentExit = run.agent === null ? 'never started' : run.agent.timedOut ? 'timed out' : `exit ${run.agent.exitCode ?? run.agent.signal ?? '?'}`;
  const named = { ...result, id: `${scenario.id}@${agent.name}`, title: `${scenario.title} (through ${agent.name})` };
  listener.scenarioDone?.(named);
  return { result: named, matches: view.matches, agentExit };
}
