// Where the daemon listens: a unix socket (root-owned, 0600) and optionally TCP. Failures are
// typed errors with one line each (address in use, a bad host, another daemon on the socket),
// never an unhandled 'error' event.
import { connect, isIP, type Server } from 'node:net';
import { chmodSync, lstatSync, mkdirSync, unlinkSync } from 'node:fs';
import { dirname } from 'node:path';
import { PraetorError, errorMessage } from '../core/errors.js';

export const DEFAULT_SOCKET = '/run/praetor/praetord.sock';

export interface TcpAddress {
  readonly host: string;
  readonly port: number;
}

/** `HOST:PORT` or `[V6]:PORT`; port 0 picks a free one. */
export function parseListen(value: string): TcpAddress {
  const m = /^(?:\[([0-9a-fA-F:.]+)\]|([^:\s[\]]+)):(\d{1,5})$/.exec(value.trim());
  const port = m ? Number(m[3]) : NaN;
  if (!m || port > 65535) throw new PraetorError('usage', `--listen needs HOST:PORT (e.g. 127.0.0.1:8700), got "${value}"`);
  const host = m[1] ?? m[2] ?? '';
  if (m[1] !== undefined && isIP(host) !== 6) throw new PraetorError('usage', `--listen: "${host}" is not an IPv6 address`);
  return { host, port };
}

function probe(path: string): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(path);
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

function listening(server: Server, what: string, listen: () => void): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (err: NodeJS.ErrnoException): void => {
      server.off('listening', onListening);
      const why =
        err.code === 'EADDRINUSE'
          ? 'the address is in use'
          : err.code === 'EADDRNOTAVAIL' || err.code === 'ENOTFOUND' || err.code === 'EAI_AGAIN'
            ? 'no such local address'
            : err.code === 'EACCES'
              ? 'permission denied'
              : errorMessage(err);
      const code = err.code === 'EADDRNOTAVAIL' || err.code === 'ENOTFOUND' || err.code === 'EAI_AGAIN' ? 'usage' : 'host-unsupported';
      reject(new PraetorError(code, `can not listen on ${what}: ${why}`));
    };
    const onListening = (): void => {
      server.off('error', onError);
      resolve();
    };
    server.once('error', onError);
    server.once('listening', onListening);
    listen();
  });
}

/** Listens on a unix socket at `path`, replacing a stale socket file and refusing a live one. */
export async function listenUnix(server: Server, path: string): Promise<void> {
  mkdirSync(dirname(path), { recursive: true, mode: 0o755 });
  let existing: ReturnType<typeof lstatSync> | null = null;
  try {
    existing = lstatSync(path);
  } catch {
    existing = null;
  }
  if (existing !== null) {
    if (!existing.isSocket()) throw new PraetorError('host-unsupported', `can not listen on ${path}: a file that is not a socket is there`);
    if (await probe(path)) throw new PraetorError('host-unsupported', `can not listen on ${path}: another daemon answers there`);
    unlinkSync(path); // left by a daemon that died
  }
  // Root's umask (022) already keeps others from connecting until the chmod (connect needs write).
  await listening(server, path, () => server.listen(path));
  chmodSync(path, 0o600);
}

export async function listenTcp(server: Server, address: TcpAddress): Promise<TcpAddress> {
  await listening(server, `${address.host}:${address.port}`, () => server.listen(address.port, address.host));
  const bound = server.address();
  return { host: address.host, port: typeof bound === 'object' && bound !== null ? bound.port : address.port };
}
