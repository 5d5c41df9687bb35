// The trainer answers: each model request of a sandboxed agent waits in this queue until a trainer
// takes it and answers it (the way ROLL serves an agent's calls from the policy being trained).
// Library-level; trainer-routes.ts puts it on HTTP for the service to mount.
import { PraetorError } from '../../core/errors.js';
import { formatIssues } from '../../core/schema-issues.js';
import { TrainerAnswerSchema, type TrainerAnswer } from './gateway-wire.js';
import type { TrainerRequest } from './gateway-responder.js';

/** A request waiting for its answer; `taken` once a trainer took it. */
export interface PendingRequest extends TrainerRequest {
  readonly taken: boolean;
}

export type TrainerQueueErrorReason = 'unknown-request' | 'invalid-answer';

export class TrainerQueueError extends PraetorError {
  constructor(
    readonly reason: TrainerQueueErrorReason,
    message: string,
  ) {
    super('usage', message);
    this.name = 'TrainerQueueError';
  }
}

interface Entry {
  readonly request: TrainerRequest;
  taken: boolean;
  readonly resolve: (answer: TrainerAnswer) => void;
  readonly reject: (err: Error) => void;
}

interface Taker {
  readonly deliver: (request: TrainerRequest | null) => void;
}

export interface TakeOptions {
  /** Longest to wait for a request; default: until one comes (or the signal aborts). */
  readonly timeoutMs?: number;
  readonly signal?: AbortSignal;
}

export class TrainerQueue {
  // Map order is arrival order: take() hands out the oldest first.
  private readonly entries = new Map<string, Entry>();
  private readonly takers: Taker[] = [];
  private closed = false;

  /** The gateway's hook: enqueue the request and wait for a trainer's answer. */
  ask(request: TrainerRequest, signal: AbortSignal): Promise<TrainerAnswer> {
    if (this.closed) return Promise.reject(new Error('the trainer queue is closed'));
    return new Promise<TrainerAnswer>((resolve, reject) => {
      const onAbort = (): void => {
        if (this.entries.delete(request.id)) reject(new Error('the agent closed the request'));
      };
      const entry: Entry = {
        request,
        taken: false,
        resolve: (a) => {
          signal.removeEventListener('abort', onAbort);
          resolve(a);
        },
        reject: (e) => {
          signal.removeEventListener('abort', onAbort);
          reject(e);
        },
      };
      if (signal.aborted) return reject(new Error('the agent closed the request'));
      signal.addEventListener('abort', onAbort, { once: true });
      this.entries.set(request.id, entry);
      const taker = this.takers.shift();
      if (taker !== undefined) {
        entry.taken = true;
        taker.deliver(request);
      }
    });
  }

  /** Every request waiting for an answer, oldest first. */
  pending(): PendingRequest[] {
    return [...this.entries.values()].map((e) => ({ ...e.request, taken: e.taken }));
  }

  /** The oldest request no trainer has taken yet, waiting for one to arrive; null on timeout, abort or close. */
  take(options: TakeOptions = {}): Promise<TrainerRequest | null> {
    for (const entry of this.entries.values()) {
      if (!entry.taken) {
        entry.taken = true;
        return Promise.resolve(entry.request);
      }
    }
    if (this.closed || options.signal?.aborted === true || options.timeoutMs === 0) return Promise.resolve(null);
    return new Promise((resolve) => {
      let timer: NodeJS.Timeout | undefined;
      const done = (request: TrainerRequest | null): void => {
        clearTimeout(timer);
        options.signal?.removeEventListener('abort', onAbort);
        const i = this.takers.indexOf(taker);
        if (i >= 0) this.takers.splice(i, 1);
        resolve(request);
      };
      const taker: Taker = { deliver: done };
      const onAbort = (): void => done(null);
      this.takers.push(taker);
      options.signal?.addEventListener('abort', onAbort, { once: true });
      if (options.timeoutMs !== undefined) timer = setTimeout(() => done(null), options.timeoutMs);
    });
  }

  /** Answers a request (taken or not): validated, then handed to the waiting agent. */
  answer(id: string, answer: unknown): void {
    const entry = this.entry(id);
    const parsed = TrainerAnswerSchema.safeParse(answer);
    if (!parsed.success) throw new TrainerQueueError('invalid-answer', `invalid answer to ${id}: ${formatIssues(parsed.error.issues).join('; ')}`);
    if (entry.request.api === 'anthropic-messages') {
      const bad = (parsed.data.tool_calls ?? []).find((c) => !isJsonObjectText(c.function.arguments));
      if (bad !== undefined) throw new TrainerQueueError('invalid-answer', `invalid answer to ${id}: Anthropic Messages needs tool arguments that are a JSON object (${bad.function.name})`);
    }
    this.entries.delete(id);
    entry.resolve(parsed.data);
  }

  /** The trainer can not answer: the agent gets an error (HTTP 502) with this message. */
  fail(id: string, message: string): void {
    const entry = this.entry(id);
    this.entries.delete(id);
    entry.reject(new Error(message));
  }

  /** Fails every waiting request and releases every waiting take(). */
  close(): void {
    this.closed = true;
    for (const [id, entry] of this.entries) {
      this.entries.delete(id);
      entry.reject(new Error('the trainer queue closed'));
    }
    for (const taker of [...this.takers]) taker.deliver(null);
  }

  private entry(id: string): Entry {
    const entry = this.entries.get(id);
    if (entry === undefined) throw new TrainerQueueError('unknown-request', `no request ${id} is waiting for an answer (answered already, or its agent went away)`);
    return entry;
  }
}

function isJsonObjectText(text: string): boolean {
  if (text.trim() === '') return true;
  try {
    const v: unknown = JSON.parse(text);
    return typeof v === 'object' && v !== null && !Array.isArray(v);
  } catch {
    return false;
  }
}
