// The contract between the agent and a chat model: messages in, text or tool calls out. The
// OpenAI-compatible client is the one implementation today (vLLM, llama.cpp, hosted APIs).
import type { TokenUsage } from '../policies/policy.js';
import type { ToolDeclaration } from '../tools/tool-registry.js';

/** A tool call as it travels in chat messages: arguments are a JSON string. */
export interface WireToolCall {
  id: string;
  type: 'function';
  function: { name: string; arguments: string };
}

export type ChatMessage =
  | { role: 'system'; content: string }
  | { role: 'user'; content: string }
  | { role: 'assistant'; content: string | null; tool_calls?: WireToolCall[] }
  | { role: 'tool'; tool_call_id: string; content: string };

export interface ChatRequest {
  messages: readonly ChatMessage[];
  tools?: readonly ToolDeclaration[];
  toolChoice?: 'auto' | 'none' | 'required';
  /** Sent only when set: some servers reject the field. */
  parallelToolCalls?: boolean;
  maxTokens?: number;
  temperature?: number;
  stream?: boolean;
  signal?: AbortSignal;
}

/**
 * A tool call the model made. Arguments that are not a JSON object come back as `error` (with
 * the raw text) rather than a throw, so the policy can tell the model what was wrong.
 */
export type ModelToolCall =
  | { id: string; name: string; rawArguments: string; arguments: Record<string, unknown>; error: null }
  | { id: string; name: string; rawArguments: string; arguments: null; error: string };

export interface ChatCompletion {
  id: string;
  text: string | null;
  toolCalls: ModelToolCall[];
  finishReason: string | null;
  /** Null when the server did not say. */
  usage: TokenUsage | null;
}

export interface ModelClient {
  readonly model: string;
  complete(request: ChatRequest): Promise<ChatCompletion>;
}

export type ModelErrorCode = 'http' | 'bad-json' | 'bad-response' | 'timeout' | 'aborted' | 'network';

export class ModelError extends Error {
  constructor(
    readonly code: ModelErrorCode,
    message: string,
    /** The HTTP status, for `http`. */
    readonly status: number | null = null,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'ModelError';
  }
}

/** Parses a tool call's argument string; the empty string is `{}`, as some servers send for no arguments. */
export function parseToolArguments(id: string, name: string, raw: string): ModelToolCall {
  if (raw.trim() === '') return { id, name, rawArguments: raw, arguments: {}, error: null };
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch (err) {
    return { id, name, rawArguments: raw, arguments: null, error: `arguments are not valid JSON: ${(err as Error).message}` };
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return { id, name, rawArguments: raw, arguments: null, error: 'arguments must be a JSON object' };
  }
  return { id, name, rawArguments: raw, arguments: value as Record<string, unknown>, error: null };
}
