// Test kit of the fleet: a throwaway PostgreSQL, node daemons each reachable only at an address
// inside a network namespace of its own that this kit creates (10.239.N.2 on a veth pair to the
// host; nothing is routed anywhere else), and fronts on loopback. The daemons themselves run in
// the host's first namespace, where the guard's process and firewall monitors answer
// (docs/platform-notes); each node's API is moved into its namespace by two socat forwarders
// (namespace TCP -> a root-only unix socket -> the daemon's loopback port), so fronts reach every
// node at a separate address, as separate hosts. Needs root, ip, socat.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PRAETOR_CLI, spawnPraetord, type SpawnedDaemon } from '../bench/praetord-spawn.js';
import { PostgresKeyStore } from '../service/fleet/postgres-keys.js';
import { startPostgres, type PostgresServer } from './postgres-harness.js';

export interface FleetNode {
  readonly id: string;
  readonly address: string;
  readonly daemon: SpawnedDaemon;
}

export interface FleetWorld {
  readonly pg: PostgresServer;
  readonly url: string;
  readonly nodes: FleetNode[];
  readonly fronts: string[];
  readonly adminKey: string;
  readonly heartbeatTimeoutMs: number;
  close(): Promise<void>;
}

const PORT = 8700;

/** A loopback port free right now. */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return typeof address === 'object' && address !== null ? address.port : 0;
}

/**
 * `loopback: true` (the benchmark): nodes on loopback addresses without namespaces or forwarders,
 * so what a front adds is measured alone.
 */
export async function startFleetWorld(options: { nodes: number; fronts: number; slots: number; heartbeatTimeoutS: number; loopback?: boolean }): Promise<FleetWorld> {
  const pg = startPostgres();
  const url = pg.url('postgres');
  const dir = mkdtempSync(join(tmpdir(), 'praetor-fleet-'));
  const tag = String(process.pid % 100_000);
  const namespaces: string[] = [];
  const links: string[] = [];
  const children: ChildProcess[] = [];
  const nodes: FleetNode[] = [];
  const fronts: string[] = [];
  const ip = (...args: string[]): void => void execFileSync('ip', args, { stdio: ['ignore', 'ignore', 'pipe'] });
  const close = async (): Promise<void> => {
    await Promise.all(nodes.map((n) => n.daemon.stop().catch(() => null)));
    for (const c of children) c.kill('SIGTERM');
    for (const ns of namespaces) ip('netns', 'delete', ns);
    for (const link of links) {
      try {
        ip('link', 'delete', link);
      } catch {
        // gone with its namespace
      }
    }
    pg.stop();
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    const keys = PostgresKeyStore.open(url);
    const adminKey = keys.create({ name: 'fleet-admin', scope: 'admin' }).token;
    keys.close();
    const timeout = String(options.heartbeatTimeoutS);
    for (let i = 1; i <= options.nodes && options.loopback === true; i++) {
      const id = `node-${i}`;
      const port = await freePort();
      const address = `http://127.0.0.1:${port}`;
      const daemon = await spawnPraetord({
        pool: 0,
        tcp: true,
        store: url,
        extraArgs: ['--node', '--fleet', url, '--node-id', id, '--listen', `127.0.0.1:${port}`, '--slots', String(options.slots), '--heartbeat-timeout', timeout],
      });
      nodes.push({ id, address, daemon });
    }
    for (let i = 1; i <= options.nodes && options.loopback !== true; i++) {
      const ns = `pfleet${tag}n${i}`;
      const hostIf = `pf${tag}h${i}`;
      ip('netns', 'add', ns);
      namespaces.push(ns);
      ip('link', 'add', hostIf, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', ns);
      links.push(hostIf);
      ip('addr', 'add', `10.239.${i}.1/30`, 'dev', hostIf);
      ip('link', 'set', hostIf, 'up');
      ip('-n', ns, 'addr', 'add', `10.239.${i}.2/30`, 'dev', 'eth0');
      ip('-n', ns, 'link', 'set', 'eth0', 'up');
      ip('-n', ns, 'link', 'set', 'lo', 'up');
      const id = `node-${i}`;
      const address = `http://10.239.${i}.2:${PORT}`;
      const daemon = await spawnPraetord({
        pool: 0,
        tcp: true,
        store: url,
        extraArgs: ['--node', '--fleet', url, '--node-id', id, '--advertise', address, '--slots', String(options.slots), '--heartbeat-timeout', timeout],
      });
      nodes.push({ id, address, daemon });
      const bridge = join(dir, `${id}.sock`);
      const daemonPort = new URL(daemon.url ?? '').port;
      children.push(spawn('socat', [`UNIX-LISTEN:${bridge},fork,mode=600`, `TCP:127.0.0.1:${daemonPort}`], { stdio: 'ignore' }));
      children.push(spawn('ip', ['netns', 'exec', ns, 'socat', `TCP-LISTEN:${PORT},bind=10.239.${i}.2,fork,reuseaddr`, `UNIX-CONNECT:${bridge}`], { stdio: 'ignore' }));
    }
    for (let f = 0; f < options.fronts; f++) {
      const child = spawn(process.execPath, [PRAETOR_CLI, 'serve', '--front', '--fleet', url, '--listen', '127.0.0.1:0', '--heartbeat-timeout', timeout, '--log-level', 'warn'], {
        stdio: ['ignore', 'ignore', 'pipe'],
      });
      children.push(child);
      fronts.push(
        await new Promise<string>((resolve, reject) => {
          let err = '';
          child.stderr?.on('data', (c: Buffer) => {
            err += c.toString();
            const m = /ready on (http:\/\/127\.0\.0\.1:\d+)/.exec(err);
            if (m?.[1]) resolve(m[1]);
          });
          child.once('exit', (code) => reject(new Error(`front exited (${code}): ${err}`)));
        }),
      );
    }
    return { pg, url, nodes, fronts, adminKey, heartbeatTimeoutMs: options.heartbeatTimeoutS * 1000, close };
  } catch (err) {
    await close();
    throw err;
  }
}
