// The OpenAI chat-completions wire format: the request body we send, and zod schemas of the
// responses and stream chunks we accept (lenient where servers differ, strict where we depend).
import { z } from 'zod';
import type { ChatRequest } from './model-client.js';

/** The body of POST /chat/completions. */
export function chatRequestBody(model: string, request: ChatRequest): Record<string, unknown> {
  const body: Record<string, unknown> = { model, messages: request.messages };
  if (request.tools !== undefined && request.tools.length > 0) {
    body.tools = request.tools;
    body.tool_choice = request.toolChoice ?? 'auto';
    if (request.parallelToolCalls !== undefined) body.parallel_tool_calls = request.parallelToolCalls;
  }
  if (request.maxTokens !== undefined) body.max_tokens = request.maxTokens;
  if (request.temperature !== undefined) body.temperature = request.temperature;
  if (request.stream === true) {
    body.stream = true;
    // Without it a stream carries no token counts, and the token budget could not be kept.
    body.stream_options = { include_usage: true };
  }
  return body;
}

/** Some servers send arguments as an object instead of a JSON string; both are accepted. */
const argumentsField = z
  .union([z.string(), z.record(z.string(), z.unknown())])
  .nullish()
  .transform((a) => (a === null || a === undefined ? '' : typeof a === 'string' ? a : JSON.stringify(a)));

const UsageSchema = z
  .object({ prompt_tokens: z.number().nonnegative(), completion_tokens: z.number().nonnegative() })
  .nullish()
  .transform((u) => (u == null ? null : { prompt: u.prompt_tokens, completion: u.completion_tokens }));

const ErrorSchema = z.object({ message: z.string() }).loose();

export const CompletionSchema = z.object({
  id: z.string().nullish(),
  choices: z
    .array(
      z.object({
        message: z.object({
          content: z.string().nullish(),
          tool_calls: z
            .array(z.object({ id: z.string().nullish(), function: z.object({ name: z.string(), arguments: argumentsField }) }))
            .nullish(),
        }),
        finish_reason: z.string().nullish(),
      }),
    )
    .min(1, 'no choices in the response'),
  usage: UsageSchema,
});

export const ChunkSchema = z.object({
  id: z.string().nullish(),
  choices: z
    .array(
      z.object({
        delta: z
          .object({
            content: z.string().nullish(),
            tool_calls: z
              .array(
                z.object({
                  index: z.number().int().nonnegative(),
                  id: z.string().nullish(),
                  function: z.object({ name: z.string().nullish(), arguments: argumentsField }).nullish(),
                }),
              )
              .nullish(),
          })
          .nullish(),
        finish_reason: z.string().nullish(),
      }),
    )
    .default([]),
  usage: UsageSchema,
  error: ErrorSchema.nullish(),
});
export type Chunk = z.output<typeof ChunkSchema>;

/** The message of an error body (`{"error": {"message": ...}}`), or the body's start. */
export function errorBodyMessage(body: string): string {
  try {
    const parsed = z.object({ error: z.union([ErrorSchema, z.string()]) }).safeParse(JSON.parse(body));
    if (parsed.success) return typeof parsed.data.error === 'string' ? parsed.data.error : parsed.data.error.message;
  } catch {
    // Not JSON: the text itself is the best account.
  }
  const text = body.trim();
  return text.length > 500 ? `${text.slice(0, 500)}...` : text;
}
