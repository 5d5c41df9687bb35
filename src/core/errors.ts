// Typed errors with stable codes; each entry point maps codes to exit codes or HTTP statuses.

export type PraetorErrorCode =
  | 'usage'
  | 'invalid-config'
  | 'host-unsupported'
  | 'sandbox-failure'
  | 'sandbox-not-found'
  | 'exec-timeout'
  | 'policy-denied'
  | 'internal';

export class PraetorError extends Error {
  constructor(
    readonly code: PraetorErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'PraetorError';
  }
}

export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/**
 * For teardowns that must try every step even when an earlier one fails: `attempt` runs a step
 * and keeps its failure as "what: message" in `problems` instead of throwing.
 */
export function problemCollector(): { problems: string[]; attempt: (what: string, fn: () => Promise<unknown>) => Promise<void> } {
  const problems: string[] = [];
  return {
    problems,
    attempt: async (what, fn) => {
      try {
        await fn();
      } catch (err) {
        problems.push(`${what}: ${errorMessage(err)}`);
      }
    },
  };
}
