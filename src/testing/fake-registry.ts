// The world's fake npm registry served on loopback for the guard's invariant tests (which map
// REGISTRY_HOST to it with a StaticResolver).
import { createServer, type Server } from 'node:http';
import { getRequestListener } from '@hono/node-server';
import { createNpmRegistry, packNpmPackage } from '../redteam/world/npm-registry.js';

export { REGISTRY_HOST } from '../redteam/world/world-hosts.js';

export interface FakeRegistry {
  readonly port: number;
  readonly requests: string[];
  close(): Promise<void>;
}

export async function startFakeRegistry(name = 'tiny-pad', version = '1.0.0'): Promise<FakeRegistry> {
  const packed = await packNpmPackage({ name, version, files: { 'index.js': 'exports.leftPad = (s, n) => String(s).padStart(n);\n' } });
  const requests: string[] = [];
  const app = createNpmRegistry([packed], { onRequest: (path) => requests.push(path) });
  const listener = getRequestListener(app.fetch);
  const server: Server = createServer((req, res) => void listener(req, res));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as { port: number }).port,
    requests,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
