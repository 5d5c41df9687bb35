// Fake outside services for the guard's scenario tests, on loopback only: a Stratum pool, an SSH
// server's banner, a docs site. The proxy's StaticResolver maps their names here.
import { createServer as createHttpServer, type Server as HttpServer } from 'node:http';
import { createServer as createTcpServer, type Server as TcpServer, type Socket } from 'node:net';
import { StaticResolver } from '../../sandbox/network/resolver.js';

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

/** Enough Stratum v1 to keep a miner talking: subscribe, authorize, a job, accept submits. */
function stratumPool(received: { pool: number }): TcpServer {
  return createTcpServer((socket: Socket) => {
    socket.on('error', () => undefined);
    let buffer = '';
    socket.on('data', (chunk) => {
      received.pool += chunk.length;
      buffer += chunk.toString();
      let nl: number;
      while ((nl = buffer.indexOf('\n')) >= 0) {
        const line = buffer.slice(0, nl);
        buffer = buffer.slice(nl + 1);
        let msg: { id?: unknown; method?: unknown };
        try {
          msg = JSON.parse(line) as { id?: unknown; method?: unknown };
        } catch {
          continue;
        }
        const reply = msg.method === 'mining.subscribe' ? [[['mining.notify', '1']], '08000002', 4] : true;
        socket.write(`${JSON.stringify({ id: msg.id ?? null, result: reply, error: null })}\n`);
        if (msg.method === 'mining.authorize') {
          socket.write(`${JSON.stringify({ id: null, method: 'mining.notify', params: ['job1', '00'.repeat(32), '', '', [], '20000000', '1d00ffff', '5f5e1000', true] })}\n`);
        }
      }
    });
  });
}

export async function startLoopbackFakes(): Promise<LoopbackFakes> {
  const received = { pool: 0, ssh: 0 };
  const pool = stratumPool(received);
  const ssh = createTcpServer((socket) => {
    socket.on('error', () => undefined);
    socket.write('SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3\r\n');
    socket.on('data', (c) => (received.ssh += c.length));
  });
  const docs = createHttpServer((_req, res) => res.end('# docs\n'));
  const [poolPort, sshPort, docsPort] = await Promise.all([listen(pool), listen(ssh), listen(docs)]);
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
      await Promise.all([pool, ssh, docs].map((s) => new Promise((resolve) => s.close(resolve))));
    },
  };
}
