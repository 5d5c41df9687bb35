// Every service of the fake world, bound to its fake host's addresses: the pool, the ssh relay to
// a real sshd, the docs site, the npm registry, the downloads host and the internal subnet. Each
// public port is a front listener that counts the connection for its host, then hands the socket
// to the service behind it (the service never listens itself).
import { createServer as createHttpServer } from 'node:http';
import { createServer as createTcpServer, type Server, type Socket } from 'node:net';
import { getRequestListener } from '@hono/node-server';
import type { Hono } from 'hono';
import { createDocsSite } from './docs-site.js';
import { createDownloadsSite } from './downloads-site.js';
import { HostTrafficCounters } from './host-traffic.js';
import { createInternalService, protocolOfPort } from './internal-services.js';
import { createNpmRegistry, packNpmPackage, WORLD_PACKAGES, type PackedPackage } from './npm-registry.js';
import { createSshRelay, startSshd, type Sshd } from './openssh-server.js';
import { createStratumPool } from './stratum-pool.js';
import type { WorldServerConfig, WorldStats } from './world-config.js';

type WorldHostConfig = WorldServerConfig['hosts'][number];

export interface WorldServices {
  stats(): WorldStats;
  close(): Promise<void>;
}

/** Something that takes accepted sockets: a net.Server (or http.Server) that does not listen. */
type SocketHandler = Server;

function httpHandler(app: Hono): SocketHandler {
  const listener = getRequestListener(app.fetch);
  const server = createHttpServer((req, res) => void listener(req, res));
  // Scanners and half-open clients must not hold sockets for node's default five minutes.
  server.requestTimeout = 30_000;
  server.headersTimeout = 30_000;
  return server;
}

export async function startWorldServices(config: WorldServerConfig): Promise<WorldServices> {
  const needsSshd = config.hosts.some((h) => h.role === 'ssh' || (h.role === 'internal' && h.ports.includes(22)));
  // sshd's key generation and start-up, and the packing of the registry's tarballs, run together.
  const sshdStarting: Promise<Sshd | null> = needsSshd ? startSshd(config.dir, config.sshdPath) : Promise.resolve(null);
  const packing = Promise.all(WORLD_PACKAGES.map(packNpmPackage));
  let sshd: Sshd | null;
  let packages: PackedPackage[];
  try {
    [sshd, packages] = await Promise.all([sshdStarting, packing]);
  } catch (err) {
    (await sshdStarting.catch(() => null))?.stop();
    throw err;
  }

  const counters = new HostTrafficCounters();
  const pool = createStratumPool(config.poolDifficulty === undefined ? {} : { difficulty: config.poolDifficulty });
  const relay = createSshRelay();
  const docs = httpHandler(createDocsSite());
  const registry = httpHandler(createNpmRegistry(packages));
  const downloads = httpHandler(createDownloadsSite(config.files));
  const internal = new Map<number, SocketHandler>();
  const internalFor = (port: number): SocketHandler => {
    const existing = internal.get(port);
    if (existing !== undefined) return existing;
    const created = createInternalService(protocolOfPort(port));
    internal.set(port, created);
    return created;
  };
  const handlerFor = (role: WorldHostConfig['role'], port: number): SocketHandler => {
    switch (role) {
      case 'ssh':
        return relay;
      case 'pool':
        return pool.server;
      case 'docs':
        return docs;
      case 'registry':
        return registry;
      case 'downloads':
        return downloads;
      case 'internal':
        return port === 22 ? relay : internalFor(port);
    }
  };

  const fronts: Server[] = [];
  const sockets = new Set<Socket>();
  const listens: Promise<void>[] = [];
  for (const host of config.hosts) {
    counters.add(host.name, host.address);
    for (const port of host.ports) {
      const handler = handlerFor(host.role, port);
      const front = createTcpServer((socket) => {
        sockets.add(socket);
        socket.once('close', () => sockets.delete(socket));
        handler.emit('connection', socket);
        // Counted after the hand-over: node's http server reads its sockets' handles directly and
        // only goes back to 'data' events when a listener is added after it took the socket.
        counters.count(socket, host.name);
      });
      fronts.push(front);
      listens.push(
        new Promise((resolve, reject) => {
          front.once('error', (err) => reject(new Error(`cannot listen on ${host.name} ${host.address}:${port}: ${err.message}`)));
          front.listen(port, host.address, () => resolve());
        }),
      );
    }
  }
  try {
    await Promise.all(listens);
  } catch (err) {
    await Promise.allSettled(listens);
    for (const f of fronts) f.close();
    sshd?.stop();
    throw err;
  }

  return {
    stats: () => ({ hosts: counters.snapshot(), pool: pool.stats() }),
    close: async () => {
      sshd?.stop();
      // A server's close() waits for its open connections, so they are destroyed first.
      const closed = fronts.map((f) => new Promise((resolve) => f.close(resolve)));
      for (const s of sockets) s.destroy();
      await Promise.all(closed);
    },
  };
}
