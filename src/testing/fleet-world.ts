// Test kit of the fleet: a throwaway PostgreSQL, node daemons each running in a network namespace
// of its own, and fronts on loopback. The namespaces hang off one bridge in a switch namespace
// this kit creates (10.239.T.0/24, T from the test's pid): the host's first namespace has a leg on
// it (.1: PostgreSQL listens there, fronts reach the nodes from there), node N is .(10+N) and
// listens there, as separate hosts on one LAN. Nothing is routed: no ip_forward, no NAT. Each
// daemon is started with `nsenter --net` (not `ip netns exec`, which hides the cgroup hierarchies)
// and PRAETOR_PROCMON_NETNS naming this process's namespace, the only one where the kernel's
// process events connector answers (native/praetor-procmon.c). Needs root, ip, nsenter.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
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
  /** The host's own address on the nodes' bridge (null on loopback): another host, seen from a node. */
  readonly hostAddress: string | null;
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

const ip = (...args: string[]): void => void execFileSync('ip', args, { stdio: ['ignore', 'ignore', 'pipe'] });

/**
 * The switch: a bridge in a namespace of its own, the host's leg on it (SUBNET.1) and one
 * namespace per node (SUBNET.(10+N)); pushes every namespace it made onto `made`.
 */
function switchNamespaces(tag: string, subnet: string, count: number, made: string[]): void {
  const sw = `pfleet${tag}sw`;
  ip('netns', 'add', sw);
  made.push(sw);
  ip('-n', sw, 'link', 'add', 'br0', 'type', 'bridge');
  ip('-n', sw, 'link', 'set', 'br0', 'up');
  const plug = (ns: string | null, inside: string, port: string, address: string): void => {
    const at = ns === null ? [] : ['-n', ns];
    ip(...at, 'link', 'add', inside, 'type', 'veth', 'peer', 'name', port, 'netns', sw);
    ip('-n', sw, 'link', 'set', port, 'master', 'br0', 'up');
    ip(...at, 'addr', 'add', `${address}/24`, 'dev', inside);
    ip(...at, 'link', 'set', inside, 'up');
  };
  plug(null, `pfleet${tag}h`, 'host', `${subnet}.1`);
  for (let i = 1; i <= count; i++) {
    const ns = `pfleet${tag}n${i}`;
    ip('netns', 'add', ns);
    made.push(ns);
    ip('-n', ns, 'link', 'set', 'lo', 'up');
    plug(ns, 'eth0', `n${i}`, `${subnet}.${10 + i}`);
  }
}

/**
 * `loopback: true` (the benchmark): nodes on loopback addresses without namespaces or forwarders,
 * so what a front adds is measured alone.
 */
export async function startFleetWorld(options: { nodes: number; fronts: number; slots: number; heartbeatTimeoutS: number; loopback?: boolean }): Promise<FleetWorld> {
  const tag = String(process.pid % 100_000);
  const subnet = `10.239.${20 + (process.pid % 200)}`;
  const namespaces: string[] = [];
  const children: ChildProcess[] = [];
  const nodes: FleetNode[] = [];
  const fronts: string[] = [];
  let pg: PostgresServer | null = null;
  let closing = false;
  const close = async (): Promise<void> => {
    closing = true;
    // a daemon that does not finish its shutdown in 30 s is killed (and said so): the test ends
    await Promise.all(
      nodes.map(async (n) => {
        const timer = setTimeout(() => {
          console.log(`# fleet: ${n.id} still shutting down 30 s after SIGTERM: SIGKILL`);
          try {
            process.kill(n.daemon.pid, 'SIGKILL');
          } catch {
            // gone meanwhile
          }
        }, 30_000);
        await n.daemon.stop().catch(() => null);
        clearTimeout(timer);
      }),
    );
    for (const c of children) c.kill('SIGTERM');
    // the host's leg and every node's veth go with the namespaces
    for (const ns of namespaces.reverse()) ip('netns', 'delete', ns);
    pg?.stop();
  };
  try {
    if (options.loopback !== true) switchNamespaces(tag, subnet, options.nodes, namespaces);
    pg = startPostgres(options.loopback === true ? {} : { tcp: `${subnet}.1` });
    const url = pg.url('postgres');
    // how the nodes reach PostgreSQL: over the bridge, as another host would
    const nodeUrl = options.loopback === true ? url : `postgres://${new URL(url).username}@${subnet}.1:5432/postgres`;
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
    // started side by side: each one's start (gc, helpers, migrations) is mostly waiting
    const spawned = await Promise.all(
      Array.from({ length: options.loopback === true ? 0 : options.nodes }, async (_, n) => {
        const i = n + 1;
        const listen = `${subnet}.${10 + i}:${PORT}`;
        const daemon = await spawnPraetord({
          pool: 0,
          store: nodeUrl,
          wrap: ['nsenter', `--net=/run/netns/pfleet${tag}n${i}`],
          env: { PRAETOR_PROCMON_NETNS: `/proc/${process.pid}/ns/net` },
          extraArgs: ['--node', '--fleet', nodeUrl, '--node-id', `node-${i}`, '--listen', listen, '--slots', String(options.slots), '--heartbeat-timeout', timeout],
        });
        return { id: `node-${i}`, address: `http://${listen}`, daemon };
      }),
    );
    nodes.push(...spawned);
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
          child.once('exit', (code, signal) => {
            // a front that dies mid-test says so, with its last words
            if (!closing) console.log(`# fleet: front ${f} exited (${code ?? signal}): ${err.trim().split('\n').slice(-5).join(' | ')}`);
            reject(new Error(`front exited (${code}): ${err}`));
          });
        }),
      );
    }
    const hostAddress = options.loopback === true ? null : `${subnet}.1`;
    return { pg, url, nodes, fronts, adminKey, heartbeatTimeoutMs: options.heartbeatTimeoutS * 1000, hostAddress, close };
  } catch (err) {
    await close();
    throw err;
  }
}
