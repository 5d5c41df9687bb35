// The model policy: asks an OpenAI-compatible model for the next tool call, within budgets of
// steps, tokens and seconds. One LlmPolicy per episode: it keeps the episode's token count and clock.
import type { ToolCall } from '../agent-types.js';
import { ModelError, type ChatCompletion, type ChatMessage, type ModelClient, type ModelToolCall } from '../model/model-client.js';
import type { ToolDeclaration } from '../tools/tool-registry.js';
import { transcriptMessages } from './chat-transcript.js';
import type { AgentPolicy, PolicyContext, PolicyDecision, TokenUsage } from './policy.js';
import { buildSystemPrompt } from './system-prompt.js';

export interface LlmBudgets {
  /** Tool calls in the episode. */
  maxSteps?: number;
  /** Prompt plus completion tokens over every model call; checked before each call. */
  maxTokens?: number;
  /** Wall-clock seconds from the first decision; a model call in flight is cut at the limit. */
  maxSeconds?: number;
}

export interface LlmPolicyOptions {
  client: ModelClient;
  tools: readonly ToolDeclaration[];
  systemPrompt?: string;
  stream?: boolean;
  budgets?: LlmBudgets;
  /** max_tokens of each response. */
  maxResponseTokens?: number;
  temperature?: number;
  /** Turns with broken tool-call arguments sent back to the model in a row before giving up (default 3). */
  maxRepairs?: number;
  now?: () => number;
}

interface PendingTurn {
  afterCallId: string;
  calls: ToolCall[];
  turnId: string;
}

export class LlmPolicy implements AgentPolicy {
  readonly name: string;
  readonly systemPrompt: string;
  readonly tools: readonly ToolDeclaration[];
  private readonly now: () => number;
  private startedAt: number | null = null;
  private readonly used: TokenUsage = { prompt: 0, completion: 0 };
  private readonly side = new Map<number, ChatMessage[]>();
  private pending: PendingTurn | null = null;
  private turns = 0;
  private readonly callIds = new Set<string>();

  constructor(private readonly options: LlmPolicyOptions) {
    this.name = `llm:${options.client.model}`;
    this.systemPrompt = options.systemPrompt ?? buildSystemPrompt(options.tools);
    this.tools = options.tools;
    this.now = options.now ?? Date.now;
  }

  /** Tokens used so far in this episode. */
  usage(): TokenUsage {
    return { ...this.used };
  }

  async next(context: PolicyContext, signal?: AbortSignal): Promise<PolicyDecision> {
    this.startedAt ??= this.now();
    const over = this.overBudget(context);
    if (over !== null) return { kind: 'done', text: over };

    // The other calls of a turn in which the model asked for several: one per decision.
    const queued = this.takeQueued(context);
    if (queued !== null) return queued;

    const usage: TokenUsage = { prompt: 0, completion: 0 };
    for (let repairs = 0; ; repairs++) {
      const completion = await this.ask(context, signal);
      if (completion === null) {
        const max = this.options.budgets?.maxSeconds ?? 0;
        return { kind: 'done', text: this.overBudget(context) ?? `budget: seconds (${max.toFixed(1)} of ${max})`, usage };
      }
      if (completion.usage !== null) {
        usage.prompt += completion.usage.prompt;
        usage.completion += completion.usage.completion;
        this.used.prompt += completion.usage.prompt;
        this.used.completion += completion.usage.completion;
      }
      const text = completion.text !== null && completion.text.trim() !== '' ? completion.text : undefined;
      if (completion.toolCalls.length === 0) {
        // The model's final answer: the end of the episode, and its last assistant message.
        return { kind: 'done', ...(text !== undefined ? { text } : {}), answer: completion.text ?? '', turnId: `turn-${++this.turns}`, usage };
      }
      if (completion.toolCalls.every((c) => c.error === null)) return this.decide(completion, text, usage);

      // Broken arguments: tell the model, out of the history, and ask again.
      this.addSide(context.history.length, repairExchange(completion));
      if (repairs + 1 >= (this.options.maxRepairs ?? 3)) {
        return { kind: 'done', text: `model: invalid tool-call arguments ${repairs + 1} times in a row`, usage };
      }
      const stillOver = this.overBudget(context);
      if (stillOver !== null) return { kind: 'done', text: stillOver, usage };
    }
  }

  /** `budget: NAME (...)` when a budget is spent, else null. */
  private overBudget(context: PolicyContext): string | null {
    const { maxSteps, maxTokens, maxSeconds } = this.options.budgets ?? {};
    const steps = context.history.filter((e) => e.call !== null).length;
    if (maxSteps !== undefined && steps >= maxSteps) return `budget: steps (${steps} of ${maxSteps})`;
    const tokens = this.used.prompt + this.used.completion;
    if (maxTokens !== undefined && tokens >= maxTokens) return `budget: tokens (${tokens} of ${maxTokens})`;
    const seconds = (this.now() - (this.startedAt ?? this.now())) / 1000;
    if (maxSeconds !== undefined && seconds >= maxSeconds) return `budget: seconds (${seconds.toFixed(1)} of ${maxSeconds})`;
    return null;
  }

  /** The model's answer, or null when the time budget ran out while waiting for it. */
  private async ask(context: PolicyContext, signal: AbortSignal | undefined): Promise<ChatCompletion | null> {
    const maxSeconds = this.options.budgets?.maxSeconds;
    const left = maxSeconds === undefined ? null : maxSeconds * 1000 - (this.now() - (this.startedAt ?? this.now()));
    const deadline = left === null ? undefined : AbortSignal.timeout(Math.max(1, Math.ceil(left)));
    const signals = [signal, deadline].filter((s): s is AbortSignal => s !== undefined);
    try {
      return await this.options.client.complete({
        messages: transcriptMessages(this.systemPrompt, context.instruction, context.history, this.side),
        tools: this.options.tools,
        stream: this.options.stream ?? false,
        ...(this.options.maxResponseTokens !== undefined ? { maxTokens: this.options.maxResponseTokens } : {}),
        ...(this.options.temperature !== undefined ? { temperature: this.options.temperature } : {}),
        ...(signals.length > 0 ? { signal: signals.length === 1 ? signals[0] : AbortSignal.any(signals) } : {}),
      });
    } catch (err) {
      // The caller's own cancellation propagates; the budget's is an ordinary end.
      if (err instanceof ModelError && err.code === 'aborted' && deadline?.aborted === true && signal?.aborted !== true) return null;
      throw err;
    }
  }

  private decide(completion: ChatCompletion, text: string | undefined, usage: TokenUsage): PolicyDecision {
    // Servers reuse response and call ids (per response, or not at all); the episode's transcript
    // needs them unique, so each turn gets its own id and a repeated call id is renamed.
    const calls = completion.toolCalls.map((c): ToolCall => ({ id: this.uniqueCallId(c.id), name: c.name, arguments: c.arguments ?? {} }));
    const turnId = `turn-${++this.turns}`;
    const [first, ...rest] = calls;
    if (first === undefined) return { kind: 'done', usage };
    this.pending = rest.length > 0 ? { afterCallId: first.id, calls: rest, turnId } : null;
    return { kind: 'tool-call', call: first, ...(text !== undefined ? { text } : {}), usage, turnId };
  }

  private uniqueCallId(id: string): string {
    let unique = id === '' ? `call-${this.callIds.size + 1}` : id;
    for (let n = 2; this.callIds.has(unique); n++) unique = `${id}-${n}`;
    this.callIds.add(unique);
    return unique;
  }

  /** The next queued call of the last turn, if the loop ran the one before it. */
  private takeQueued(context: PolicyContext): PolicyDecision | null {
    const pending = this.pending;
    this.pending = null;
    const last = context.history.at(-1)?.call;
    if (pending === null || last?.id !== pending.afterCallId) return null;
    const [call, ...rest] = pending.calls;
    if (call === undefined) return null;
    if (rest.length > 0) this.pending = { afterCallId: call.id, calls: rest, turnId: pending.turnId };
    return { kind: 'tool-call', call, turnId: pending.turnId };
  }

  private addSide(position: number, messages: ChatMessage[]): void {
    this.side.set(position, [...(this.side.get(position) ?? []), ...messages]);
  }
}

/** The turn as the model sent it, answered call by call: the error for broken ones, "not run" for the rest. */
function repairExchange(completion: ChatCompletion): ChatMessage[] {
  const answer = (c: ModelToolCall): string =>
    c.error !== null
      ? `error: ${c.error}. The arguments were: ${c.rawArguments}\nCall the tool again with arguments that are one JSON object.`
      : 'not run: another call in the same turn had invalid arguments; call it again if you still need it.';
  return [
    {
      role: 'assistant',
      content: completion.text,
      tool_calls: completion.toolCalls.map((c) => ({ id: c.id, type: 'function', function: { name: c.name, arguments: c.rawArguments } })),
    },
    ...completion.toolCalls.map((c): ChatMessage => ({ role: 'tool', tool_call_id: c.id, content: answer(c) })),
  ];
}
