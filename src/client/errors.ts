// What a failed API call throws: the HTTP status and the service's error code, in one line.

export class PraetorApiError extends Error {
  constructor(
    /** HTTP status; 0 when the daemon could not be reached at all. */
    readonly status: number,
    /** The service's error code (e.g. `unauthorized`, `quota`), or `unreachable`. */
    readonly code: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'PraetorApiError';
  }
}

/** The error a response with a non-2xx status stands for; bodies are `{error: {code, message}}`. */
export function apiError(status: number, body: Buffer): PraetorApiError {
  let code = `http-${status}`;
  let message = body.toString('utf8').trim().split('\n')[0] ?? '';
  try {
    const parsed = JSON.parse(body.toString('utf8')) as { error?: { code?: unknown; message?: unknown } };
    if (typeof parsed.error?.code === 'string') code = parsed.error.code;
    if (typeof parsed.error?.message === 'string') message = parsed.error.message;
  } catch {
    // not JSON: the first line of the body stands as the message
  }
  return new PraetorApiError(status, code, `${status} ${code}: ${message || 'no message'}`);
}
