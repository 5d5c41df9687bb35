// How an `ask` gets its answer: an Approver. A callback for library use; an ApprovalQueue that
// holds requests until someone answers them (what a service's approvals endpoint lists and
// resolves). No answer before the gate's timeout denies.
import type { RuleRef } from './policy-rule.js';

export interface ApprovalRequest {
  readonly id: string;
  readonly sandboxId: string;
  readonly step: number | null;
  /** What is asked about: exec, write-file, read-file, network. */
  readonly source: string;
  /** The command line, path or host:port. */
  readonly target: string;
  readonly rule: RuleRef | null;
  readonly reason: string;
  readonly createdAt: number;
}

export interface ApprovalAnswer {
  readonly decision: 'allow' | 'deny';
  /** Who answered (a user name, 'callback'). */
  readonly by: string;
}

export interface Approver {
  /** Resolves when answered; the gate aborts `signal` when it stops waiting (timeout, shutdown). */
  request(request: ApprovalRequest, signal: AbortSignal): Promise<ApprovalAnswer>;
}

/** An approver that asks a function (library use: a UI prompt, a test). */
export function callbackApprover(
  answer: (request: ApprovalRequest) => 'allow' | 'deny' | Promise<'allow' | 'deny'>,
  by = 'callback',
): Approver {
  return {
    async request(request) {
      return { decision: await answer(request), by };
    },
  };
}

interface Pending {
  readonly request: ApprovalRequest;
  readonly resolve: (answer: ApprovalAnswer) => void;
}

/** Requests waiting for a person: list them, answer them, be told of new ones. */
export class ApprovalQueue implements Approver {
  private readonly waiting = new Map<string, Pending>();
  private readonly listeners = new Set<(request: ApprovalRequest) => void>();

  request(request: ApprovalRequest, signal: AbortSignal): Promise<ApprovalAnswer> {
    return new Promise((resolve, reject) => {
      const done = (): void => {
        this.waiting.delete(request.id);
      };
      this.waiting.set(request.id, {
        request,
        resolve: (answer) => {
          done();
          resolve(answer);
        },
      });
      signal.addEventListener(
        'abort',
        () => {
          done();
          reject(new Error('no answer in time'));
        },
        { once: true },
      );
      for (const l of this.listeners) l(request);
    });
  }

  pending(): ApprovalRequest[] {
    return [...this.waiting.values()].map((p) => p.request);
  }

  /** Answers a waiting request; false when there is none with that id (answered or timed out). */
  resolve(id: string, decision: 'allow' | 'deny', by: string): boolean {
    const p = this.waiting.get(id);
    if (p === undefined) return false;
    p.resolve({ decision, by });
    return true;
  }

  onRequest(listener: (request: ApprovalRequest) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}
