// Runs a front: connects to the fleet database, serves the front app on TCP, and sweeps for lost
// nodes every tick (every front sweeps; a node is declared lost once).
import { createServer, type Server } from 'node:http';
import { getRequestListener } from '@hono/node-server';
import type { Logger } from 'pino';
import { errorMessage } from '../../core/errors.js';
import { errorBody } from '../api-error.js';
import { listenTcp, type TcpAddress } from '../listen.js';
import { listNodes, openFleetDb, sweep } from './fleet-db.js';
import { createFrontApp } from './fleet-front.js';
import { FrontMetrics } from './front-metrics.js';

export interface FrontOptions {
  readonly url: string;
  readonly listen: TcpAddress;
  readonly timeoutMs: number;
  readonly log: Logger;
}

export interface RunningFront {
  readonly address: TcpAddress;
  stop(): Promise<void>;
}

export async function startFront(options: FrontOptions): Promise<RunningFront> {
  const { log, timeoutMs } = options;
  const sql = await openFleetDb(options.url, 20);
  const metrics = new FrontMetrics();
  const tickMs = Math.max(100, Math.min(1000, Math.floor(timeoutMs / 10)));
  const app = createFrontApp({ sql, timeoutMs, tickMs, log, metrics });
  const listener = getRequestListener(app.fetch, { errorHandler: () => Response.json(errorBody('internal', 'internal error'), { status: 500 }) });
  const server: Server = createServer((req, res) => void listener(req, res));
  const address = await listenTcp(server, options.listen);
  const timer = setInterval(() => {
    sweep(sql, timeoutMs).then(
      (lost) => {
        for (const l of lost) {
          metrics.lost.inc();
          log.warn({ component: 'fleet', node: l.node, sandboxes: l.sandboxes.length, episodes: l.episodes }, 'node lost: its sandboxes are lost, its episodes aborted');
        }
      },
      (err: unknown) => log.warn({ component: 'fleet', err: errorMessage(err) }, 'sweep failed'),
    );
    listNodes(sql, timeoutMs).then(
      (nodes) => metrics.nodesUp.set(nodes.filter((n) => n.up).length),
      () => undefined,
    );
  }, tickMs);
  return {
    address,
    stop: async () => {
      clearInterval(timer);
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await sql.end({ timeout: 2 });
    },
  };
}
