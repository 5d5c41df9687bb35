// What the praetor-miner tests share: running the binary, a pool on loopback, a tiny HTTP
// CONNECT proxy (allowing or refusing), and CPU time read from /proc.
import { spawn } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { connect, type Server as NetServer, type Socket } from 'node:net';
import { fileURLToPath } from 'node:url';
import { createStratumPool, type StratumPoolStats } from '../redteam/world/stratum-pool.js';
import { minerArgv, type MinerOptions } from '../redteam/miner/miner-argv.js';

export const MINER = fileURLToPath(new URL('../../native/build/praetor-miner', import.meta.url));
/** About 65,536 hashes a share: several shares a second from one unthrottled thread. */
export const TEST_DIFFICULTY = 2 ** -16;
export const WALLET = '44AFFq5kSiGBoZ4NMDwYtN18obc8AemS33DBLWs3H7otXft3XjrpDtQGv7SqSsaBYBb98uNbr2VBBEt7f2wfn3RVGQBEP3A';
/** An environment with no proxy variables, so a run connects directly unless a test says otherwise. */
export const NO_PROXY_ENV: NodeJS.ProcessEnv = { PATH: process.env.PATH ?? '/usr/bin:/bin' };

export interface MinerRun {
  readonly code: number | null;
  readonly stderr: string;
  readonly ms: number;
}

export function runMiner(options: MinerOptions, env: NodeJS.ProcessEnv = NO_PROXY_ENV): Promise<MinerRun> {
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const child = spawn(MINER, minerArgv(options), { env, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.once('error', reject);
    child.once('close', (code) => resolve({ code, stderr, ms: Date.now() - started }));
  });
}

/** Listens on 127.0.0.1 at a free port; the port. */
export function listen(server: NetServer | Server): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve((server.address() as { port: number }).port));
  });
}

export function close(server: NetServer | Server): Promise<void> {
  if ('closeAllConnections' in server) server.closeAllConnections();
  return new Promise((resolve) => server.close(() => resolve()));
}

export async function startPool(): Promise<{ server: NetServer; port: number; stats(): StratumPoolStats }> {
  const pool = createStratumPool({ difficulty: TEST_DIFFICULTY });
  const port = await listen(pool.server);
  return { ...pool, port };
}

export interface ConnectProxy {
  readonly server: Server;
  readonly port: number;
  /** Every CONNECT target asked for, in order. */
  readonly requests: string[];
}

/** An HTTP CONNECT proxy: tunnels when allow is true, else answers 403 as praetor's egress proxy does. */
export async function startConnectProxy(allow: boolean): Promise<ConnectProxy> {
  const requests: string[] = [];
  const server = createServer((_req, res) => res.writeHead(405).end());
  server.on('connect', (req, client: Socket, head: Buffer) => {
    client.on('error', () => undefined);
    requests.push(req.url ?? '');
    if (!allow) {
      client.end('HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n');
      return;
    }
    const [host, port] = (req.url ?? '').split(':');
    const upstream = connect(Number(port), host ?? '', () => {
      client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
      if (head.length > 0) upstream.write(head);
      upstream.pipe(client);
      client.pipe(upstream);
    });
    upstream.on('error', () => client.destroy());
    client.on('close', () => upstream.destroy());
  });
  const port = await listen(server);
  return { server, port, requests };
}

/** utime + stime of a process in seconds (clock ticks are 1/100 s on Linux). */
export function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // Fields after the name start at state (field 3); utime and stime are fields 14 and 15.
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

/** A core's share used by pid over ms of wall time. */
export async function cpuShare(pid: number, ms: number): Promise<number> {
  const before = cpuSeconds(pid);
  const t0 = process.hrtime.bigint();
  await new Promise((r) => setTimeout(r, ms));
  const wall = Number(process.hrtime.bigint() - t0) / 1e9;
  return (cpuSeconds(pid) - before) / wall;
}

/** Seconds on a CPU and waiting for one (runnable), summed over the process's threads. */
function runnableSeconds(pid: number): number {
  let ns = 0;
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    const [run, wait] = readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'utf8').split(' ').map(Number);
    ns += (run ?? 0) + (wait ?? 0);
  }
  return ns / 1e9;
}

/**
 * Over ms of wall time: cpu, the share of a core pid used; demand, the share it wanted (on a
 * CPU or runnable and waiting), which does not depend on how busy the rest of the machine is.
 */
export async function cpuUse(pid: number, ms: number): Promise<{ cpu: number; demand: number }> {
  const [cpu0, run0] = [cpuSeconds(pid), runnableSeconds(pid)];
  const t0 = process.hrtime.bigint();
  await new Promise((r) => setTimeout(r, ms));
  const wall = Number(process.hrtime.bigint() - t0) / 1e9;
  return { cpu: (cpuSeconds(pid) - cpu0) / wall, demand: (runnableSeconds(pid) - run0) / wall };
}

/** Pids whose /proc/PID/comm is exactly name. */
export function pidsByComm(name: string): number[] {
  const out: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (readFileSync(`/proc/${entry}/comm`, 'utf8').trimEnd() === name) out.push(Number(entry));
    } catch {
      // gone between readdir and read
    }
  }
  return out;
}

/** The figures of the miner's summary line. */
export function summary(stderr: string): { hashes: number; rate: number; accepted: number; rejected: number } | null {
  const m = /done: (\d+) hashes in [\d.]+ s \((\d+) H\/s\), shares (\d+) accepted, (\d+) rejected/.exec(stderr);
  return m ? { hashes: Number(m[1]), rate: Number(m[2]), accepted: Number(m[3]), rejected: Number(m[4]) } : null;
}
