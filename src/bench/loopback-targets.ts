// Outside services on loopback that sandboxed programs reach through the proxy, for the guard's
// benchmark (and the guard's invariant tests): a Stratum pool (the red team world's), an SSH
// server's banner, a docs site. The StaticResolver maps their names here; nothing leaves the host.
import { createServer as createHttpServer, type Server as HttpServer } from 'node:http';
import { createServer as createTcpServer, type Server as TcpServer } from 'node:net';
import { createStratumPool } from '../redteam/world/stratum-pool.js';
import { StaticResolver } from '../sandbox/network/resolver.js';

/** The targets live on loopback, which a sandbox may reach only when allowed explicitly. */
export const LOOPBACK_TARGET_CIDRS: readonly string[] = ['127.0.0.1/32'];

export interface LoopbackTargets {
  readonly resolver: StaticResolver;
  /** What a backend must allow (LocalBackendOptions.allowCidrs) for its sandboxes to reach the fakes. */
  readonly allowCidrs: readonly string[];
  /** Bytes each fake received from clients; docsRequests: requests the docs site answered. */
  readonly received: { pool: number; ssh: number; docs: number; docsRequests: number };
  close(): Promise<void>;
}

function listen(server: HttpServer | TcpServer): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve((server.address() as { port: number }).port));
  });
}

export async function startLoopbackTargets(): Promise<LoopbackTargets> {
  const stratum = createStratumPool();
  const pool = stratum.server;
  let ssh = 0;
  let docsBytes = 0;
  let docsRequests = 0;
  const received = {
    get pool(): number {
      return stratum.stats().bytesReceived;
    },
    get ssh(): number {
      return ssh;
    },
    get docs(): number {
      return docsBytes;
    },
    get docsRequests(): number {
      return docsRequests;
    },
  };
  const sshServer = createTcpServer((socket) => {
    socket.on('error', () => undefined);
    socket.write('SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3\r\n');
    socket.on('data', (c) => (ssh += c.length));
  });
  const docs = createHttpServer((_req, res) => {
    docsRequests++;
    res.end('# docs\n');
  });
  docs.on('connection', (socket) => socket.on('data', (c: Buffer) => (docsBytes += c.length)));
  const [poolPort, sshPort, docsPort] = await Promise.all([listen(pool), listen(sshServer), listen(docs)]);
  const resolver = new StaticResolver({
    'pool.example.test': { address: '127.0.0.1', port: poolPort },
    'tunnel.example.test': { address: '127.0.0.1', port: sshPort },
    'docs.example.test': { address: '127.0.0.1', port: docsPort },
  });
  return {
    resolver,
    allowCidrs: LOOPBACK_TARGET_CIDRS,
    received,
    close: async () => {
      docs.closeAllConnections();
      await Promise.all([pool, sshServer, docs].map((s) => new Promise((resolve) => s.close(resolve))));
    },
  };
}
