// The red team's fake world: a network namespace of its own holding fake outside hosts (ssh, pool,
// registry, docs, downloads) and an internal subnet, served by one world server process. Sandboxes
// reach it only through their egress proxy, whose resolver maps the hosts' names to it.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, existsSync, openSync, readFileSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { PraetorError, errorMessage } from '../../core/errors.js';
import { formatIssues } from '../../core/schema-issues.js';
import { defaultHostPaths } from '../../sandbox/local/host-paths.js';
import { processStartTime } from '../../sandbox/local/sandbox-record.js';
import { StaticResolver } from '../../sandbox/network/resolver.js';
import { DownloadFilesSchema, WorldStatsSchema, type WorldServerConfigInput, type WorldStats } from './world-config.js';
import { GIT_HOST, REBOUND_HOST, hostByName, worldLayout, type WorldHost } from './world-hosts.js';
import { createWorldNetwork } from './world-network.js';
import { WorldRegistry } from './world-record.js';

export type { WorldHost, WorldRole } from './world-hosts.js';
export {
  SSH_HOST,
  POOL_HOST,
  REGISTRY_HOST,
  DOCS_HOST,
  DOWNLOADS_HOST,
  DB_HOST,
  CACHE_HOST,
  CI_HOST,
  SEARCH_HOST,
  GIT_HOST,
  METRICS_HOST,
  REBOUND_HOST,
  STRATUM_PORT,
} from './world-hosts.js';
export type { WorldStats, HostTraffic } from './world-config.js';

export interface FakeWorld {
  readonly id: string;
  readonly hosts: readonly WorldHost[];
  /** Every host name -> its address (a string entry, so the requested port is kept). */
  readonly resolver: StaticResolver;
  /**
   * The outside hosts' addresses, one /32 each: private addresses, which sandboxes reach only when
   * their backend allows them (LocalBackendOptions.allowCidrs). Not the internal subnet, which is
   * internal to the world as to any network, and not the host's own end of the veth.
   */
  readonly allowCidrs: readonly string[];
  /** The host's address on the world's veth: where every connection into the world comes from. */
  readonly hostAddress: string;
  readonly netns: string;
  stats(): Promise<WorldStats>;
  /** The world server's and sshd's output; removed with the world by close(). */
  readonly logPath: string;
  /** Stops the world server and sshd, removes the namespace, veth, temp dir, slot and record. Idempotent. */
  close(): Promise<void>;
}

export const FakeWorldOptionsSchema = z.object({
  files: DownloadFilesSchema.default({}),
  poolDifficulty: z.number().positive().optional().describe('Share difficulty of the pool; lower is easier.'),
  stateDir: z.string().optional().describe('Where world records and slot claims live (default: praetor\'s state dir).'),
  sshdPath: z.string().default('/usr/sbin/sshd'),
});
export type FakeWorldOptions = z.input<typeof FakeWorldOptionsSchema>;

const READY_TIMEOUT_MS = 10_000;
const STOP_TIMEOUT_MS = 2_000;

export async function startFakeWorld(options: FakeWorldOptions = {}): Promise<FakeWorld> {
  if (process.getuid?.() !== 0) throw new PraetorError('host-unsupported', 'a fake world needs root (network namespaces, sshd)');
  const parsed = FakeWorldOptionsSchema.safeParse(options);
  if (!parsed.success) {
    throw new PraetorError('invalid-config', formatIssues(parsed.error.issues).join('; '));
  }
  const opts = parsed.data;
  if (!existsSync(opts.sshdPath)) {
    throw new PraetorError('host-unsupported', `no sshd at ${opts.sshdPath}: install openssh-server (scripts/quickstart.sh does)`);
  }
  const registry = new WorldRegistry(opts.stateDir ?? defaultHostPaths().stateDir);
  // Worlds of killed owners are removed here: `praetor gc` leaves worlds alone.
  await registry.sweepDead();

  const id = randomBytes(4).toString('hex');
  const slot = await registry.slots.claimSlot(id);
  let tmpDir: string | null = null;
  let child: ChildProcess | null = null;
  try {
    tmpDir = await mkdtemp(`${tmpdir()}/praetor-world-`);
    const ownerStartTime = await processStartTime(process.pid);
    if (ownerStartTime === null) throw new PraetorError('internal', 'cannot read this process\'s start time');
    await registry.write({ id, slot, ownerPid: process.pid, ownerStartTime, tmpDir, createdAt: Date.now() });
    const layout = worldLayout(slot, id);
    await createWorldNetwork(layout);

    const logPath = `${tmpDir}/world.log`;
    const controlSocket = `${tmpDir}/control.sock`;
    const config: WorldServerConfigInput = {
      hosts: layout.hosts.map((h) => ({ ...h, ports: [...h.ports] })),
      dir: tmpDir,
      controlSocket,
      sshdPath: opts.sshdPath,
      files: opts.files,
      ...(opts.poolDifficulty === undefined ? {} : { poolDifficulty: opts.poolDifficulty }),
    };
    const serverPath = fileURLToPath(new URL('./world-server.js', import.meta.url));
    const logFd = openSync(logPath, 'a');
    try {
      // stdin stays an open pipe that is never written: its end tells the server its owner is gone.
      child = spawn('nsenter', [`--net=/run/netns/${layout.netns}`, process.execPath, serverPath, JSON.stringify(config)], {
        stdio: ['pipe', logFd, logFd],
      });
    } finally {
      closeSync(logFd);
    }
    const server = child;
    // A forgotten world must not keep its owner alive; when the owner exits, the server sees its stdin end.
    server.unref();
    server.stdin?.on('error', () => undefined);
    (server.stdin as { unref?: () => void } | null)?.unref?.();
    let exited = false;
    server.once('exit', () => (exited = true));
    await waitReady(controlSocket, () => exited, logPath);

    const names = Object.fromEntries(layout.hosts.map((h) => [h.name, h.address]));
    const resolver = new StaticResolver({ ...names, [REBOUND_HOST]: hostByName(layout.hosts, GIT_HOST).address });
    const dir = tmpDir;
    let closing: Promise<void> | null = null;
    return {
      id,
      hosts: layout.hosts,
      resolver,
      allowCidrs: layout.hosts.filter((h) => h.role !== 'internal').map((h) => `${h.address}/32`),
      hostAddress: layout.hostAddress,
      netns: layout.netns,
      logPath,
      stats: async () => {
        const res = await controlGet(controlSocket, '/stats');
        if (res.status !== 200) throw new PraetorError('internal', `world stats: HTTP ${res.status}`);
        return WorldStatsSchema.parse(JSON.parse(res.body));
      },
      close: () => {
        closing ??= (async () => {
          await stopServer(server);
          const problems = await registry.teardown({ id, slot, tmpDir: dir });
          if (problems.length > 0) throw new PraetorError('sandbox-failure', `fake world ${id}: ${problems.join('; ')}`);
        })();
        return closing;
      },
    };
  } catch (err) {
    if (child !== null) await stopServer(child);
    await registry.teardown({ id, slot, tmpDir });
    throw err;
  }
}

async function stopServer(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  // The child was unref'd so a forgotten world does not keep its owner alive; while it is being
  // stopped, its exit must keep the loop alive until it is seen.
  child.ref();
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS);
  await exited;
  clearTimeout(timer);
}

async function waitReady(socketPath: string, exited: () => boolean, logPath: string): Promise<void> {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  for (;;) {
    if (exited()) throw new PraetorError('sandbox-failure', `the world server exited at start-up: ${logTail(logPath)}`);
    try {
      if ((await controlGet(socketPath, '/ready')).status === 200) return;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new PraetorError('sandbox-failure', `the world server was not ready within ${READY_TIMEOUT_MS} ms: ${logTail(logPath)}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

function logTail(path: string): string {
  try {
    return readFileSync(path, 'utf8').trim().split('\n').slice(-5).join(' | ');
  } catch (err) {
    return `(no log: ${errorMessage(err)})`;
  }
}

function controlGet(socketPath: string, path: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ socketPath, path, method: 'GET', timeout: 5_000 }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString() }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error('control channel timed out')));
    req.on('error', reject);
    req.end();
  });
}
