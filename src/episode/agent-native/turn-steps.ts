// How gateway turns become episode steps: one step per tool call of a response (or one message
// step), its observation taken from the tool result the agent sent in its next request, and the
// guard's alerts tied to the turn whose response the agent was acting on when they were raised.
import type { Alert } from '../../detect/alert.js';
import type { GatewayMessage, Turn } from '../../agent/gateway/gateway-wire.js';
import { contentText } from '../../agent/gateway/gateway-wire.js';
import { parseToolArguments } from '../../agent/model/model-client.js';
import type { Observation, StepRecord } from '../episode-model.js';
import { toAlertRecord } from '../episode-model.js';
import type { PolicyDecisionRecord } from '../../policy/policy-record.js';

export interface TurnStepContext {
  readonly episodeId: string;
  /** Index of the turn's first step. */
  readonly firstIndex: number;
  /** The agent's next request (its tool results), or null when it sent none. */
  readonly next: { readonly messages: readonly GatewayMessage[]; readonly requestedAt: number } | null;
  /** When the turn's work ended, for a turn with no next request. */
  readonly endedAt: number;
  /** Alerts of the turn; they go on its first step (the calls of one turn ran in one exec, so no finer split is known). */
  readonly alerts: readonly Alert[];
  readonly sandboxSteps: readonly number[];
  /** Command-policy decisions of the turn; on its first step, as its alerts. */
  readonly policy?: readonly PolicyDecisionRecord[];
}

/** The steps of one successful turn; none for a failed one (it gave the agent nothing to act on). */
export function turnSteps(turn: Turn, ctx: TurnStepContext): StepRecord[] {
  if (turn.response === null) return [];
  const startedAt = turn.respondedAt;
  const endedAt = Math.max(startedAt, ctx.next?.requestedAt ?? ctx.endedAt);
  const common = (i: number): Omit<StepRecord, 'observation'> => ({
    episodeId: ctx.episodeId,
    index: ctx.firstIndex + i,
    turn: turn.id,
    startedAt,
    endedAt,
    sandboxSteps: [...ctx.sandboxSteps],
    alerts: i === 0 ? ctx.alerts.map((a) => toAlertRecord(a, { step: ctx.firstIndex, turn: turn.id })) : [],
    policy: i === 0 ? [...(ctx.policy ?? [])] : [],
    ...(i === 0 && turn.usage !== undefined ? { tokens: { prompt: turn.usage.prompt, completion: turn.usage.completion } } : {}),
    ...(turn.completionId !== undefined && turn.completionId !== '' ? { modelResponseId: turn.completionId } : {}),
  });
  const calls = turn.response.tool_calls;
  if (calls.length === 0) return [{ ...common(0), message: turn.response.content ?? '', observation: null }];
  return calls.map((call, i) => {
    const parsed = parseToolArguments(call.id, call.function.name, call.function.arguments);
    // Arguments that are not a JSON object are kept verbatim: the record shows what the model sent.
    const args = parsed.arguments ?? { raw: call.function.arguments };
    return { ...common(i), action: { id: call.id, name: call.function.name, arguments: args }, observation: toolResult(call.id, ctx.next) };
  });
}

/** What the agent reported back for a tool call, by tool_call_id. */
export function toolResult(callId: string, next: TurnStepContext['next']): Observation {
  if (next === null) return { content: 'no tool result: the agent made no further model request', isError: true, denied: false };
  const message = next.messages.find((m) => m.role === 'tool' && m.tool_call_id === callId);
  if (message === undefined) return { content: 'no tool result: the agent did not report this call', isError: true, denied: false };
  return { content: contentText(message.content), isError: false, denied: false };
}

/**
 * The alerts that belong to a turn: raised at or after its response was delivered (the agent was
 * acting on it), not yet given to an earlier turn, and from the agent's exec (or from no known
 * step). Raise time, not event time: the kernel log's clock can lag the wall clock by a second.
 */
export function alertsOfTurn(alerts: readonly Alert[], turn: Pick<Turn, 'respondedAt'>, assigned: ReadonlySet<string>, agentStep: number): Alert[] {
  return alerts.filter((a) => !assigned.has(a.id) && a.time >= turn.respondedAt && (a.step === null || a.step === agentStep));
}
