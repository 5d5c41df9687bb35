// Runs one episode with a policy that lives in praetor (scripted or an LLM loop): each decision
// becomes a stored step before the next is asked for, so a crash loses nothing.
import type { AgentPolicy, HistoryEntry } from '../agent/policies/policy.js';
import { buildSystemPrompt } from '../agent/policies/system-prompt.js';
import { errorMessage } from '../core/errors.js';
import type { EpisodeRecord, FinalStatus, StepRecord, Task } from './episode-model.js';
import { EpisodeSession, type SessionDeps, type SessionStartOptions } from './episode-session.js';

export interface EpisodeRunOptions extends SessionDeps {
  readonly task: Task;
  readonly policy: AgentPolicy;
  /** Called after each step is stored. */
  readonly onStep?: (step: StepRecord) => void;
  readonly episodeId?: string;
  /** Called with the sandbox as soon as it exists (to watch it, to inject faults). */
  readonly onSandbox?: SessionStartOptions['onSandbox'];
}

export async function runEpisode(options: EpisodeRunOptions): Promise<EpisodeRecord> {
  const { task, policy } = options;
  // The prompt and tools as recorded: the model policy's own; for a script, what a model policy
  // would be given in this environment (the script is a demonstration for that model).
  const tools = policy.tools ?? options.tools?.declarations() ?? [];
  const system = policy.systemPrompt ?? buildSystemPrompt(tools);
  const session = await EpisodeSession.start(task, policy.name, options, {
    ...(options.episodeId ? { id: options.episodeId } : {}),
    ...(options.onSandbox ? { onSandbox: options.onSandbox } : {}),
    messages: [
      { role: 'system', content: system },
      { role: 'user', content: task.instruction },
    ],
    tools,
  });
  const history: HistoryEntry[] = [];
  const deadline = Date.now() + task.budgets.maxSeconds * 1000;
  let status: FinalStatus = 'completed';
  let reason: string | undefined;
  try {
    while (session.stepCount < task.budgets.maxSteps) {
      if (Date.now() > deadline) {
        reason = 'budget: time';
        break;
      }
      const decision = await policy.next({ instruction: task.instruction, history }, AbortSignal.timeout(Math.max(1, deadline - Date.now())));
      const extra = {
        ...(decision.turnId !== undefined ? { turn: decision.turnId } : {}),
        ...(decision.usage ? { tokens: { prompt: decision.usage.prompt, completion: decision.usage.completion } } : {}),
      };
      if (decision.kind === 'done') {
        // Stored first, then reported: `onStep?.(await ...)` would skip the store when nobody listens.
        if (decision.answer !== undefined) {
          const step = await session.recordMessage(decision.answer, extra);
          options.onStep?.(step);
        }
        reason = decision.text;
        break;
      }
      if (decision.kind === 'message') {
        const step = await session.recordMessage(decision.text, extra);
        options.onStep?.(step);
        history.push({ call: null, text: decision.text, observation: null });
        continue;
      }
      const step = await session.runCall(decision.call, extra);
      options.onStep?.(step);
      history.push({ call: decision.call, text: decision.text ?? null, observation: step.observation });
      if (session.terminated) {
        reason = `the guard terminated the sandbox after ${step.alerts.map((a) => a.ruleId).join(', ') || 'an alert'}`;
        break;
      }
    }
    if (session.stepCount >= task.budgets.maxSteps && reason === undefined) reason = `budget: steps (${task.budgets.maxSteps})`;
  } catch (err) {
    // The episode stays readable with every step so far; why it failed is kept with it.
    status = 'failed';
    reason = errorMessage(err);
  }
  return session.finish(status, reason);
}
