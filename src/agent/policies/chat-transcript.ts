// Turns an episode's history into chat messages: each call becomes an assistant message with its
// tool call followed by the tool's result, as OpenAI-compatible APIs require.
import type { ChatMessage } from '../model/model-client.js';
import type { HistoryEntry } from './policy.js';

/**
 * Exchanges the policy had with the model that are not in the history (a tool call with broken
 * arguments and the error it was answered with), keyed by the history length they followed.
 */
export type SideExchanges = ReadonlyMap<number, readonly ChatMessage[]>;

export function transcriptMessages(
  systemPrompt: string,
  instruction: string,
  history: readonly HistoryEntry[],
  side: SideExchanges = new Map(),
): ChatMessage[] {
  const messages: ChatMessage[] = [
    { role: 'system', content: systemPrompt },
    { role: 'user', content: instruction },
  ];
  history.forEach((entry, i) => {
    messages.push(...(side.get(i) ?? []));
    messages.push(...entryMessages(entry));
  });
  messages.push(...(side.get(history.length) ?? []));
  return messages;
}

function entryMessages(entry: HistoryEntry): ChatMessage[] {
  if (entry.call !== null) {
    const { id, name } = entry.call;
    return [
      {
        role: 'assistant',
        content: entry.text,
        tool_calls: [{ id, type: 'function', function: { name, arguments: JSON.stringify(entry.call.arguments) } }],
      },
      // Every tool call needs its answer, or the API rejects the conversation.
      { role: 'tool', tool_call_id: id, content: entry.observation?.content ?? '(no result was recorded for this call)' },
    ];
  }
  const messages: ChatMessage[] = [];
  if (entry.text !== null) messages.push({ role: 'assistant', content: entry.text });
  // An observation with no call is something the environment told the agent: a user turn.
  if (entry.observation !== null) messages.push({ role: 'user', content: entry.observation.content });
  return messages;
}
