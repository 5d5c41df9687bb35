// PostgreSQL URLs as praetor accepts them: postgres://user:pass@host:port/db, plus libpq's
// `?host=/dir` for a unix socket directory (postgres.js would send an unknown query parameter to
// the server as a setting, so it is taken out here). Passwords never appear in messages.
import { PraetorError } from '../../core/errors.js';

export interface PostgresTarget {
  /** The URL without `host=`: what postgres.js parses. */
  readonly url: string;
  /** A unix socket directory, when the URL names one. */
  readonly socketDir?: string;
  /** The URL with its password replaced, for messages and logs. */
  readonly shown: string;
}

export function isPostgresUrl(url: string): boolean {
  return url.startsWith('postgres://') || url.startsWith('postgresql://');
}

export function parsePostgresUrl(url: string): PostgresTarget {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new PraetorError('invalid-config', `not a PostgreSQL URL: ${redact(url)} (expected postgres://user@host:port/db)`);
  }
  if (!isPostgresUrl(url)) throw new PraetorError('invalid-config', `not a PostgreSQL URL: ${redact(url)}`);
  const socketDir = parsed.searchParams.get('host') ?? undefined;
  parsed.searchParams.delete('host');
  if (socketDir !== undefined && !socketDir.startsWith('/')) {
    throw new PraetorError('invalid-config', `PostgreSQL URL ${redact(url)}: ?host= must be a socket directory (an absolute path)`);
  }
  if (parsed.hostname === '') parsed.hostname = 'localhost';
  return { url: parsed.toString(), ...(socketDir !== undefined ? { socketDir } : {}), shown: redact(url) };
}

function redact(url: string): string {
  return url.replace(/^(postgres(?:ql)?:\/\/[^:/@]*):[^@]*@/, '$1:***@');
}
