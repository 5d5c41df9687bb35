// `praetor bench --fleet URL`: what a fleet front costs. One node daemon and one front over the
// given PostgreSQL (in a throwaway schema, dropped at the end, so a real fleet in that database
// is neither used nor disturbed); creates per second and exec latency (p50/p99) through the front
// and straight to the node's own API (a single daemon), in the same run and interleaved (creates
// in alternating rounds, execs alternating call by call), so load on the host weighs on both
// alike. Figures only: nothing is asserted.
import { spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { loadavg } from 'node:os';
import postgres from 'postgres';
import { PRAETOR_CLI, spawnPraetord, type SpawnedDaemon } from '../bench/praetord-spawn.js';
import { summarize, type Summary } from '../bench/stats.js';
import { Praetor } from '../client/praetor.js';
import { PraetorError } from '../core/errors.js';
import { parsePostgresUrl } from '../episode/store/postgres-url.js';
import { PostgresKeyStore } from '../service/fleet/postgres-keys.js';

export interface FleetBenchOptions {
  readonly url: string;
  readonly creates: number;
  readonly execs: number;
  readonly concurrency: number;
}

export interface FleetPathFigures {
  readonly creates: number;
  readonly createsPerS: number;
  readonly exec: Summary | null;
}

export interface FleetBenchReport {
  readonly concurrency: number;
  readonly daemon: FleetPathFigures;
  readonly front: FleetPathFigures;
  /** The host's 1-minute load average when the section ended. */
  readonly load: number;
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return typeof address === 'object' && address !== null ? address.port : 0;
}

/** `praetor serve --front` as its own process; resolves to its URL and a stop. */
async function spawnFront(url: string): Promise<{ url: string; stop: () => void }> {
  const child = spawn(process.execPath, [PRAETOR_CLI, 'serve', '--front', '--fleet', url, '--listen', '127.0.0.1:0', '--log-level', 'warn'], { stdio: ['ignore', 'ignore', 'pipe'] });
  const address = await new Promise<string>((resolve, reject) => {
    let err = '';
    child.stderr.on('data', (c: Buffer) => {
      err += c.toString();
      const m = /ready on (http:\/\/127\.0\.0\.1:\d+)/.exec(err);
      if (m?.[1]) resolve(m[1]);
    });
    child.once('exit', (code) => reject(new PraetorError('sandbox-failure', `the fleet front exited (${code}) before it was ready: ${err.trim()}`)));
  });
  return { url: address, stop: () => void child.kill('SIGTERM') };
}

/** The URL with its connections in `schema` (postgres.js sends search_path as a startup setting). */
function inSchema(url: string, schema: string): string {
  const u = new URL(url);
  u.searchParams.set('search_path', schema);
  return u.toString();
}

export async function runFleetBench(options: FleetBenchOptions): Promise<FleetBenchReport> {
  const target = parsePostgresUrl(options.url);
  const schema = `praetor_bench_${process.pid}_${Date.now().toString(36)}`;
  const admin = postgres(target.url, { ...(target.socketDir !== undefined ? { host: target.socketDir } : {}), max: 1, onnotice: () => undefined, connect_timeout: 10 });
  let node: SpawnedDaemon | null = null;
  let front: { url: string; stop: () => void } | null = null;
  const clients: Praetor[] = [];
  try {
    await admin.unsafe(`CREATE SCHEMA "${schema}"`);
    const url = inSchema(options.url, schema);
    const keys = PostgresKeyStore.open(url);
    const apiKey = keys.create({ name: 'bench', scope: 'admin' }).token;
    keys.close();
    const port = await freePort();
    node = await spawnPraetord({
      pool: 0,
      store: url,
      extraArgs: ['--node', '--fleet', url, '--node-id', `bench-${process.pid}`, '--listen', `127.0.0.1:${port}`, '--slots', '1000'],
    });
    front = await spawnFront(url);
    const direct = new Praetor({ host: `http://127.0.0.1:${port}`, apiKey });
    const fronted = new Praetor({ host: front.url, apiKey });
    clients.push(direct, fronted);
    return await measure(direct, fronted, options);
  } finally {
    for (const c of clients) c.close();
    front?.stop();
    await node?.stop().catch(() => null);
    await admin.unsafe(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`).catch(() => undefined);
    await admin.end({ timeout: 2 });
  }
}

async function measure(direct: Praetor, fronted: Praetor, options: FleetBenchOptions): Promise<FleetBenchReport> {
  const { concurrency } = options;
  const paths = [direct, fronted];
  // a sandbox made straight on the node is unknown to the front: each path uses its own
  const ids: string[][] = [[], []];
  const createMs = [0, 0];
  // creates: rounds of `concurrency` at once, the two paths taking turns
  for (let done = 0; done < options.creates; done += concurrency) {
    const n = Math.min(concurrency, options.creates - done);
    for (const [p, client] of paths.entries()) {
      const started = performance.now();
      ids[p]?.push(...(await Promise.all(Array.from({ length: n }, async () => (await client.sandboxes.create()).id))));
      createMs[p] = (createMs[p] ?? 0) + performance.now() - started;
    }
  }
  // execs: each worker alternates the paths call by call, over every sandbox
  const times: number[][] = [[], []];
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < options.execs * 2) {
        const i = next++;
        const mine = ids[i % 2] ?? [];
        const id = mine[Math.floor(i / 2) % mine.length] as string;
        const started = performance.now();
        const r = await (paths[i % 2] as Praetor).sandboxes.exec(id, ['true']);
        if (r.exitCode !== 0) throw new PraetorError('sandbox-failure', `exec true exited ${r.exitCode ?? r.signal} in the fleet bench`);
        times[i % 2]?.push(performance.now() - started);
      }
    }),
  );
  for (const id of ids.flat()) await direct.sandboxes.destroy(id);
  const figures = (p: number): FleetPathFigures => ({
    creates: options.creates,
    createsPerS: options.creates / ((createMs[p] ?? 1) / 1000),
    exec: summarize(times[p] ?? []),
  });
  return { concurrency, daemon: figures(0), front: figures(1), load: loadavg()[0] ?? 0 };
}

export function formatFleetBench(r: FleetBenchReport): string {
  const ms = (s: Summary | null, k: 'p50' | 'p99'): string => (s === null ? '-' : `${s[k].toFixed(1)} ms`);
  const row = (name: string, f: FleetPathFigures): string =>
    `  ${name.padEnd(16)} ${f.createsPerS.toFixed(1).padStart(9)}   ${ms(f.exec, 'p50').padStart(9)}   ${ms(f.exec, 'p99').padStart(9)}`;
  const delta = (k: 'p50' | 'p99'): string => (r.front.exec !== null && r.daemon.exec !== null ? `${(r.front.exec[k] - r.daemon.exec[k]).toFixed(1)} ms` : '-');
  return [
    `Fleet: a front vs a single daemon (same run, interleaved; ${r.daemon.creates} creates and ${r.daemon.exec?.count ?? 0} execs of \`true\` each, ${r.concurrency} at a time; load ${r.load.toFixed(1)})`,
    `  ${'path'.padEnd(16)} ${'creates/s'.padStart(9)}   ${'exec p50'.padStart(9)}   ${'exec p99'.padStart(9)}`,
    row('single daemon', r.daemon),
    row('through a front', r.front),
    `  front - daemon: exec p50 ${delta('p50')}, p99 ${delta('p99')}`,
    '',
  ].join('\n');
}

/** The section of `praetor bench --fleet URL`: --iterations creates and 5x that many execs per path, 4 at a time. */
export async function fleetSection(url: string | undefined, iterations: number): Promise<FleetBenchReport> {
  if (url === undefined) throw new PraetorError('usage', '--fleet-only needs --fleet postgres://...');
  return runFleetBench({ url, creates: iterations, execs: iterations * 5, concurrency: 4 });
}
