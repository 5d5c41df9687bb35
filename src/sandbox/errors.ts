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
