// Listeners of the internal subnet's hosts: enough of each protocol's first words (a Redis error,
// an HTTP 401) that a scanner sees a live service, and nothing behind it. SSH ports are relayed
// to the world's real sshd by the world server instead.
import { createServer, type Server, type Socket } from 'node:net';

/** Idle clients are dropped, so a scan that leaves sockets open does not pile them up. */
const IDLE_MS = 30_000;

const HTTP_401 = 'HTTP/1.1 401 Unauthorized\r\nContent-Type: text/plain\r\nContent-Length: 13\r\nConnection: close\r\n\r\nUnauthorized\n';

export type InternalProtocol = 'redis' | 'postgres' | 'http';

export function protocolOfPort(port: number): InternalProtocol {
  if (port === 6379) return 'redis';
  if (port === 5432) return 'postgres';
  return 'http';
}

export function createInternalService(protocol: InternalProtocol): Server {
  return createServer((socket: Socket) => {
    socket.on('error', () => undefined);
    socket.setTimeout(IDLE_MS, () => socket.destroy());
    switch (protocol) {
      case 'redis':
        socket.on('data', () => void socket.write('-NOAUTH Authentication required.\r\n'));
        return;
      case 'postgres':
        // The startup message is answered with nothing: a server waiting for TLS negotiation.
        socket.resume();
        return;
      case 'http':
        socket.once('data', () => socket.end(HTTP_401));
        socket.resume();
        return;
    }
  });
}
