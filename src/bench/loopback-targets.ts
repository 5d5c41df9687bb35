// Fake outside services for the guard's scenario tests, on loopback only: a Stratum pool, an SSH
// server's banner, a docs site. The proxy's StaticResolver maps their names here.
import { createServer as createHttpServer, type Server as HttpServer } from 'node:http';
import { createServer as createTcpServer, type Server as TcpServer } from 'node:net';
import { createStratumPool } from '../redteam/world/stratum-pool.js';
import { StaticResolver } from '../sandbox/network/resolver.js';

export interface LoopbackFakes {
  readonly resolver: StaticResolver;
  readonly received: { pool: number; ssh: number };
  close(): Promise<void>;
}

function listen(server: HttpServer | TcpServer): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve((server.address() as { port: number }).port));
  });
}

export async function startLoopbackFakes(): Promise<LoopbackFakes> {
  const stratum = createStratumPool();
  const pool = stratum.server;
  let ssh = 0;
  const received = {
    get pool(): number {
      return stratum.stats().bytesReceived;
    },
    get ssh(): number {
      return ssh;
    },
  };
  const sshServer = createTcpServer((socket) => {
    socket.on('error', () => undefined);
    socket.write('SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3\r\n');
    socket.on('data', (c) => (ssh += c.length));
  });
  const docs = createHttpServer((_req, res) => res.end('# docs\n'));
  const [poolPort, sshPort, docsPort] = await Promise.all([listen(pool), listen(sshServer), listen(docs)]);
  const resolver = new StaticResolver({
    'pool.example.test': { address: '127.0.0.1', port: poolPort },
    'tunnel.example.test': { address: '127.0.0.1', port: sshPort },
    'docs.example.test': { address: '127.0.0.1', port: docsPort },
  });
  return {
    resolver,
    received,
    close: async () => {
      docs.closeAllConnections();
      await Promise.all([pool, sshServer, docs].map((s) => new Promise((resolve) => s.close(resolve))));
    },
  };
}
