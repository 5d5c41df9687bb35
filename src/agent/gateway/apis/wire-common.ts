// Pieces the API modules share: lenient schemas of token ids and logprobs (vLLM, SGLang), tool-call
// arguments that some servers send as objects, and zod issues as one line.
import { z } from 'zod';
import { formatIssues } from '../../../core/schema-issues.js';
import type { TokenLogprob, TurnTokens } from '../gateway-wire.js';
import { WireError } from './model-api.js';

export const TokenIdsSchema = z.array(z.number().int().nonnegative()).nullish();

/** OpenAI-style logprob entries ({token, logprob, bytes, top_logprobs}). */
export const LogprobEntriesSchema = z.array(z.object({ token: z.string(), logprob: z.number() }).loose()).nullish();

/** Some servers send arguments as an object instead of a JSON string; both are accepted. */
export const ArgumentsSchema = z
  .union([z.string(), z.record(z.string(), z.unknown())])
  .nullish()
  .transform((a) => (a === null || a === undefined ? '' : typeof a === 'string' ? a : JSON.stringify(a)));

// vLLM's return_tokens_as_token_ids writes each token as "token_id:<id>".
const TOKEN_ID = /^token_id:(\d+)$/;

export function toLogprobs(entries: readonly { token: string; logprob: number }[]): TokenLogprob[] {
  return entries.map((e) => {
    const id = TOKEN_ID.exec(e.token)?.[1];
    return id === undefined ? { token: e.token, logprob: e.logprob } : { token: e.token, logprob: e.logprob, tokenId: Number(id) };
  });
}

/** Token data gathered while reading a response, null when the server sent none. */
export class TokenCollector {
  private promptIds: number[] | null = null;
  private completionIds: number[] | null = null;
  private logprobs: TokenLogprob[] | null = null;

  prompt(ids: readonly number[] | null | undefined): void {
    if (ids != null && this.promptIds === null) this.promptIds = [...ids];
  }

  completion(ids: readonly number[] | null | undefined): void {
    if (ids != null) (this.completionIds ??= []).push(...ids);
  }

  logprob(entries: readonly { token: string; logprob: number }[] | null | undefined): void {
    if (entries != null) (this.logprobs ??= []).push(...toLogprobs(entries));
  }

  result(): TurnTokens | null {
    if (this.promptIds === null && this.completionIds === null && this.logprobs === null) return null;
    return {
      ...(this.promptIds !== null ? { promptIds: this.promptIds } : {}),
      ...(this.completionIds !== null ? { completionIds: this.completionIds } : {}),
      ...(this.logprobs !== null ? { logprobs: this.logprobs } : {}),
    };
  }
}

/** Parses with a schema or throws WireError naming what did not fit. */
export function parseWire<T>(schema: z.ZodType<T>, value: unknown, what: string): T {
  const parsed = schema.safeParse(value);
  if (!parsed.success) throw new WireError(`unexpected ${what}: ${formatIssues(parsed.error.issues).join('; ')}`);
  return parsed.data;
}

/** The JSON object of an event's data, or WireError. */
export function jsonObject(text: string, what: string): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new WireError(`${what} is not JSON`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new WireError(`${what} is not a JSON object`);
  return value as Record<string, unknown>;
}

/** Logprobs in OpenAI's form ({token, logprob, bytes, top_logprobs}). */
export function wireLogprobs(logprobs: readonly TokenLogprob[]): object[] {
  return logprobs.map((l) => ({ token: l.token, logprob: l.logprob, bytes: [...Buffer.from(l.token, 'utf8')], top_logprobs: [] }));
}

export function unixSeconds(): number {
  return Math.floor(Date.now() / 1000);
}
