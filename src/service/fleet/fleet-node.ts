// `praetor serve --node`: the daemon registers itself in the fleet's PostgreSQL and heartbeats
// its address and capacity (CPUs, memory, GPUs, sandbox slots). A node that stops heartbeating is
// declared lost by the fronts' sweep (fleet-db.ts); a node that stops on purpose leaves.
import { availableParallelism, totalmem } from 'node:os';
import { readdirSync } from 'node:fs';
import type { Logger } from 'pino';
import { errorMessage } from '../../core/errors.js';
import { heartbeat, leave, openFleetDb, type NodeCapacity } from './fleet-db.js';

export interface FleetNodeOptions {
  readonly url: string;
  readonly id: string;
  /** How fronts reach this node's API: http://host:port. */
  readonly address: string;
  readonly capacity: NodeCapacity;
  readonly intervalMs: number;
  readonly version: string;
  readonly log: Logger;
}

/** The GPUs this host has: /dev/nvidia0, /dev/nvidia1... (none on a host without the driver). */
export function countGpus(devDir = '/dev'): number {
  try {
    return readdirSync(devDir).filter((n) => /^nvidia\d+$/.test(n)).length;
  } catch {
    return 0;
  }
}

export function defaultCapacity(overrides: Partial<NodeCapacity>): NodeCapacity {
  const cpus = overrides.cpus ?? availableParallelism();
  return { cpus, memoryBytes: overrides.memoryBytes ?? totalmem(), gpus: overrides.gpus ?? countGpus(), slots: overrides.slots ?? cpus * 8 };
}

/** Registers now (throws when PostgreSQL can not be reached), then heartbeats until stopped. */
export async function startFleetNode(options: FleetNodeOptions): Promise<{ stop: () => Promise<void> }> {
  const sql = await openFleetDb(options.url, 2);
  const beat = (): Promise<void> => heartbeat(sql, options.id, options.address, options.capacity, 0, options.version);
  await beat();
  let failing = false;
  const timer = setInterval(() => {
    beat().then(
      () => {
        if (failing) options.log.info({ component: 'fleet' }, 'heartbeat restored');
        failing = false;
      },
      (err: unknown) => {
        if (!failing) options.log.warn({ component: 'fleet', err: errorMessage(err) }, 'heartbeat failed');
        failing = true;
      },
    );
  }, options.intervalMs);
  options.log.info({ component: 'fleet', node: options.id, address: options.address, ...options.capacity }, 'registered in the fleet');
  return {
    stop: async () => {
      clearInterval(timer);
      await leave(sql, options.id).catch((err: unknown) => options.log.warn({ component: 'fleet', err: errorMessage(err) }, 'could not leave the fleet'));
      await sql.end({ timeout: 2 });
    },
  };
}
