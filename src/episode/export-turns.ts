// The conversation of an agent-native episode, from the turns the gateway recorded: the agent's own
// system prompt, tools and history as it last sent them, and the model's last answer; each turn
// listed with its token ids and logprobs and the assistant message it produced.
import { contentText, type GatewayMessage, type GatewayTool } from '../agent/gateway/gateway-wire.js';
import type { ChatMessage, ChatToolCall, TurnMeta } from './chat-format.js';
import type { StepRecord, ToolDeclarationRecord } from './episode-model.js';
import type { TurnRecord } from './turn-record.js';

function isJsonObjectText(text: string): boolean {
  try {
    const v: unknown = JSON.parse(text);
    return typeof v === 'object' && v !== null && !Array.isArray(v);
  } catch {
    return false;
  }
}

/** Arguments that are not a JSON object (a freeform tool's input, broken JSON) are kept as {"raw": text}. */
function toolCall(c: { id: string; function: { name: string; arguments: string } }): ChatToolCall {
  const args = c.function.arguments.trim() === '' ? '{}' : c.function.arguments;
  return { id: c.id, type: 'function', function: { name: c.function.name, arguments: isJsonObjectText(args) ? args : JSON.stringify({ raw: c.function.arguments }) } };
}

/** One recorded message in the export's chat form (content parts become their text). */
export function chatMessage(m: GatewayMessage): ChatMessage {
  const text = contentText(m.content);
  switch (m.role) {
    case 'system':
    case 'developer':
      return { role: 'system', content: text };
    case 'user':
      return { role: 'user', content: text };
    case 'tool':
      return { role: 'tool', tool_call_id: m.tool_call_id, content: text };
    case 'assistant': {
      const calls = (m.tool_calls ?? []).map(toolCall);
      const reasoning = typeof m.reasoning === 'string' && m.reasoning !== '' ? { reasoning_content: m.reasoning } : {};
      const content = m.content === null || m.content === undefined ? null : text;
      return calls.length > 0 ? { role: 'assistant', content, tool_calls: calls, ...reasoning } : { role: 'assistant', content: content ?? '', ...reasoning };
    }
  }
}

function toolDeclaration(t: GatewayTool): ToolDeclarationRecord {
  const { name, description, parameters, ...rest } = t.function as { name: string; description?: unknown; parameters?: unknown; [k: string]: unknown };
  return {
    type: 'function',
    function: {
      ...rest,
      name,
      ...(typeof description === 'string' ? { description } : {}),
      ...(typeof parameters === 'object' && parameters !== null && !Array.isArray(parameters) ? { parameters: parameters as Record<string, unknown> } : {}),
    },
  };
}

/**
 * The turn whose conversation is exported: the answered one with the longest history (the agent's
 * main thread; side requests such as a title or a summary carry short ones), the latest on a tie.
 */
export function mainTurn(turns: readonly TurnRecord[]): TurnRecord | null {
  let best: TurnRecord | null = null;
  for (const t of turns) {
    if (t.response === null) continue;
    if (best === null || t.request.messages.length >= best.request.messages.length) best = t;
  }
  return best;
}

function sameAnswer(message: ChatMessage | undefined, response: NonNullable<TurnRecord['response']>): boolean {
  if (message?.role !== 'assistant') return false;
  const ids = (message.tool_calls ?? []).map((c) => c.id).join(',');
  return ids === response.tool_calls.map((c) => c.id).join(',') && (message.content ?? '') === (response.content ?? '');
}

export interface TurnConversation {
  readonly messages: ChatMessage[];
  readonly tools: ToolDeclarationRecord[];
  readonly turns: TurnMeta[];
}

/** The exported conversation of an agent-native episode; null when no turn was answered. */
export function turnConversation(turns: readonly TurnRecord[], steps: readonly StepRecord[]): TurnConversation | null {
  const main = mainTurn(turns);
  if (main === null || main.response === null) return null;
  const messages = [...main.request.messages, main.response].map(chatMessage);
  // Calls of the last answer that no later request reported: their result as the episode's steps saw it.
  const last = messages.at(-1);
  if (last?.role === 'assistant') {
    for (const call of last.tool_calls ?? []) {
      const step = steps.find((s) => s.action?.id === call.id);
      messages.push({ role: 'tool', tool_call_id: call.id, content: step?.observation?.content ?? 'no tool result: the agent made no further model request' });
    }
  }
  const meta = turns.map((t): TurnMeta => {
    const at = t.request.messages.length;
    const onThread = t.response !== null && sameAnswer(messages[at], t.response);
    return {
      id: t.id,
      index: t.index,
      api: t.api,
      model: t.model,
      message_index: onThread ? at : null,
      usage: t.usage ?? null,
      finish_reason: t.finishReason ?? null,
      error: t.error ?? null,
      ...(t.tokens?.promptIds !== undefined ? { prompt_token_ids: t.tokens.promptIds } : {}),
      ...(t.tokens?.completionIds !== undefined ? { completion_token_ids: t.tokens.completionIds } : {}),
      ...(t.tokens?.logprobs !== undefined
        ? { logprobs: t.tokens.logprobs.map((l) => ({ token: l.token, logprob: l.logprob, ...(l.tokenId !== undefined ? { token_id: l.tokenId } : {}) })) }
        : {}),
    };
  });
  return { messages, tools: main.request.tools.map(toolDeclaration), turns: meta };
}
