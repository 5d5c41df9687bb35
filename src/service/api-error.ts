// The service's one error shape and the one handler that turns every failure into it: a status,
// a stable code and a one-line message; never a stack trace.
import type { Context } from 'hono';
import { HTTPException } from 'hono/http-exception';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import type { z } from 'zod';
import type { Logger } from 'pino';
import { PraetorError, errorMessage, type PraetorErrorCode } from '../core/errors.js';
import { formatIssues } from '../core/schema-issues.js';

/** A failure the API reports as is: thrown by handlers, answered by `errorResponse`. */
export class ApiError extends Error {
  constructor(
    readonly status: ContentfulStatusCode,
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

export const notFound = (what: string): ApiError => new ApiError(404, 'not-found', `no ${what}`);

export function statusForPraetorError(code: PraetorErrorCode): ContentfulStatusCode {
  switch (code) {
    case 'usage':
    case 'invalid-config':
      return 400;
    case 'sandbox-not-found':
      return 404;
    case 'policy-denied':
      return 403;
    case 'exec-timeout':
      return 504;
    case 'host-unsupported':
    case 'sandbox-failure':
      return 503;
    case 'internal':
      return 500;
  }
}

const HTTP_CODES: Partial<Record<number, string>> = {
  400: 'bad-request',
  401: 'unauthorized',
  403: 'forbidden',
  404: 'not-found',
  405: 'method-not-allowed',
  413: 'body-too-large',
  415: 'unsupported-media-type',
};

/** One line: no newlines from a library message reach the client or the log line. */
function oneLine(message: string): string {
  const line = message.replace(/\s*\n\s*/g, ' ').trim();
  return line.length > 500 ? `${line.slice(0, 497)}...` : line;
}

export function errorBody(code: string, message: string): { error: { code: string; message: string } } {
  return { error: { code, message: oneLine(message) } };
}

/** The zod-openapi hook: a body, query or path that fails its schema is a 400 listing `path: message`. */
export function validationHook(
  result: { success: true } | { success: false; error: z.ZodError; target: string },
  c: Context,
): Response | undefined {
  if (result.success) return undefined;
  const where = result.target === 'json' ? 'body' : result.target;
  const lines = formatIssues(result.error.issues, result.target === 'json' ? [] : [where]);
  return c.json(errorBody('invalid-request', lines.join('; ') || `invalid ${where}`), 400);
}

/** The app's onError: typed errors keep their status; anything else is a logged 500 without details. */
export function errorResponse(err: unknown, c: Context, log: Logger): Response {
  if (err instanceof ApiError) return c.json(errorBody(err.code, err.message), err.status);
  if (err instanceof HTTPException) {
    const status = err.status;
    const message = status === 413 ? 'the request body is larger than this route accepts' : err.message || 'bad request';
    return c.json(errorBody(HTTP_CODES[status] ?? 'http-error', message), status);
  }
  if (err instanceof PraetorError) return c.json(errorBody(err.code, err.message), statusForPraetorError(err.code));
  log.error({ err: errorMessage(err) }, 'unexpected error');
  return c.json(errorBody('internal', 'internal error (see the daemon log)'), 500);
}
