// Where the daemon is: `PRAETOR_HOST` (`unix:/path` or `http(s)://host:port`), else the default
// socket. Parsing only; no connection is made here.

export const DEFAULT_SOCKET = '/run/praetor/praetord.sock';

export type DaemonTarget =
  | { readonly kind: 'unix'; readonly socketPath: string }
  | { readonly kind: 'http'; readonly url: URL };

/** `unix:/path`, `unix:///path`, a bare absolute path, or an http(s) URL; null for anything else. */
export function parseHost(text: string): DaemonTarget | null {
  const value = text.trim();
  if (value.startsWith('unix:')) {
    const path = value.slice('unix:'.length).replace(/^\/\/(?=\/)/, '');
    return path.startsWith('/') ? { kind: 'unix', socketPath: path } : null;
  }
  if (value.startsWith('/')) return { kind: 'unix', socketPath: value };
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return null;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return null;
  return { kind: 'http', url };
}

/** A readable name for messages. */
export function describeTarget(target: DaemonTarget): string {
  return target.kind === 'unix' ? `unix:${target.socketPath}` : target.url.origin;
}
