// What drives an agent: given the instruction and what happened so far, the next tool call, a
// message, or the end. A model (LlmPolicy) and a script (ScriptedPolicy) are the two today.
import type { Observation, ToolCall } from '../agent-types.js';
import type { ToolDeclaration } from '../tools/tool-registry.js';

export interface TokenUsage {
  prompt: number;
  completion: number;
}

/** One entry of the episode so far: a call and what it returned, or a message. */
export interface HistoryEntry {
  call: ToolCall | null;
  text: string | null;
  observation: Observation | null;
}

export interface PolicyContext {
  instruction: string;
  history: readonly HistoryEntry[];
}

/**
 * `turnId` is shared by the calls of one model turn, when a model asked for several at once.
 * `done` ends the episode: `text` says why; `answer` is the model's final message, when it ended
 * by answering (it is stored as the episode's last step).
 */
export type PolicyDecision =
  | { kind: 'tool-call'; call: ToolCall; text?: string; usage?: TokenUsage; turnId?: string }
  | { kind: 'message'; text: string; usage?: TokenUsage; turnId?: string }
  | { kind: 'done'; text?: string; usage?: TokenUsage; answer?: string; turnId?: string };

export interface AgentPolicy {
  readonly name: string;
  /** The system prompt a model policy sends, for the record. */
  readonly systemPrompt?: string;
  /** The tools it offers the model, for the record. */
  readonly tools?: readonly ToolDeclaration[];
  next(context: PolicyContext, signal?: AbortSignal): Promise<PolicyDecision>;
}
