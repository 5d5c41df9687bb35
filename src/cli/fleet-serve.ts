// The fleet side of `praetor serve`: --front runs a stateless front over the fleet's PostgreSQL;
// --node makes the daemon a fleet node (keys and episodes in that database, heartbeats there).
import { hostname } from 'node:os';
import { Option, type Command } from 'commander';
import { pino } from 'pino';
import { PraetorError } from '../core/errors.js';
import { isPostgresUrl } from '../episode/store/postgres-url.js';
import type { TcpAddress } from '../service/listen.js';
import { startFront } from '../service/fleet/fleet-front-server.js';
import { defaultCapacity, startFleetNode } from '../service/fleet/fleet-node.js';
import { integerAtLeast } from './options.js';

export interface FleetFlags {
  node?: boolean;
  front?: boolean;
  fleet?: string;
  store?: string;
  nodeId?: string;
  advertise?: string;
  slots?: number;
  gpus?: number;
  heartbeatTimeout: string;
  logLevel: string;
}

export function addFleetOptions(command: Command): Command {
  return command
    .option('--node', 'run as a fleet node: keys and episodes in the fleet database, heartbeats there (docs/deploy.md)')
    .option('--front', 'run as a fleet front: the same API over every node (no sandboxes here; needs --listen)')
    .option('--fleet <url>', 'the fleet database, postgres://... (env PRAETOR_FLEET; default: --store when it is one)')
    .option('--node-id <id>', 'this node\'s id in the fleet (default: the host name)')
    .option('--advertise <url>', 'how fronts reach this node, http://host:port (default: the --listen address)')
    .addOption(new Option('--slots <n>', 'sandboxes this node takes at once (default: 8 per CPU)').argParser(integerAtLeast(1)))
    .addOption(new Option('--gpus <n>', 'GPUs this node offers (default: /dev/nvidiaN count)').argParser(integerAtLeast(0)))
    .option('--heartbeat-timeout <seconds>', 'a node silent this long is lost (it beats 3 times per timeout)', '10');
}

export function fleetUrl(flags: FleetFlags): string {
  const url = flags.fleet ?? process.env.PRAETOR_FLEET ?? (flags.store !== undefined && isPostgresUrl(flags.store) ? flags.store : undefined);
  if (url === undefined) throw new PraetorError('usage', `--${flags.front ? 'front' : 'node'} needs --fleet postgres://... (or PRAETOR_FLEET)`);
  if (!isPostgresUrl(url)) throw new PraetorError('usage', '--fleet needs a postgres:// URL');
  return url;
}

export function heartbeatTimeoutMs(flags: FleetFlags): number {
  const seconds = Number(flags.heartbeatTimeout);
  if (!Number.isFinite(seconds) || seconds < 0.3) throw new PraetorError('usage', `--heartbeat-timeout needs seconds >= 0.3, got "${flags.heartbeatTimeout}"`);
  return seconds * 1000;
}

function httpUrl(tcp: TcpAddress): string {
  return `http://${tcp.host.includes(':') ? `[${tcp.host}]` : tcp.host}:${tcp.port}`;
}

/** --front: serves until SIGINT or SIGTERM. */
export async function runFront(flags: FleetFlags, listen: TcpAddress | null): Promise<void> {
  if (listen === null) throw new PraetorError('usage', '--front needs --listen HOST:PORT');
  const log = pino({ level: flags.logLevel, base: { service: 'praetor-front' } });
  const front = await startFront({ url: fleetUrl(flags), listen, timeoutMs: heartbeatTimeoutMs(flags), log });
  process.stderr.write(`praetor front: ready on ${httpUrl(front.address)}\n`);
  await new Promise<void>((resolve) => {
    process.once('SIGINT', () => resolve());
    process.once('SIGTERM', () => resolve());
  });
  await front.stop();
}

/** --node, once the daemon serves: registers and heartbeats; returns the stop to call before the daemon's. */
export async function joinFleet(flags: FleetFlags, tcp: TcpAddress | null, version: string): Promise<() => Promise<void>> {
  const address = flags.advertise ?? (tcp === null ? undefined : httpUrl(tcp));
  if (address === undefined) throw new PraetorError('usage', '--node needs --listen HOST:PORT (or --advertise URL)');
  const timeoutMs = heartbeatTimeoutMs(flags);
  const node = await startFleetNode({
    url: fleetUrl(flags),
    id: nodeId(flags),
    address,
    capacity: defaultCapacity({ ...(flags.slots !== undefined ? { slots: flags.slots } : {}), ...(flags.gpus !== undefined ? { gpus: flags.gpus } : {}) }),
    intervalMs: Math.max(100, Math.floor(timeoutMs / 3)),
    version,
    log: pino({ level: flags.logLevel, base: { service: 'praetord', node: nodeId(flags) } }),
  });
  return node.stop;
}

export function nodeId(flags: FleetFlags): string {
  return flags.nodeId ?? hostname();
}

