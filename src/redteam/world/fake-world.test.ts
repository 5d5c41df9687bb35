// The fake world, started for real (root, namespaces, sshd): every fake host answers from the
// host's namespace, its bytes are counted, a sandbox reaches it only through its proxy and policy,
// `praetor gc` leaves it alone, and close() (or a dead owner's sweep) leaves nothing behind.
import * as assert from 'node:assert/strict';
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { shareMeetsDifficulty, type StratumJob } from '../miner/stratum-share.js';
import { collectGarbage } from '../../sandbox/local/gc.js';
import { defaultHostPaths } from '../../sandbox/local/host-paths.js';
import { LocalBackend } from '../../sandbox/local/local-backend.js';
import {
  CACHE_HOST,
  CI_HOST,
  DB_HOST,
  DOCS_HOST,
  DOWNLOADS_HOST,
  POOL_HOST,
  REGISTRY_HOST,
  SSH_HOST,
  STRATUM_PORT,
  startFakeWorld,
  type FakeWorld,
} from './fake-world.js';
import { hostByName } from './world-hosts.js';
import { exited } from './world-network.js';
import { WorldRegistry } from './world-record.js';

if (process.getuid?.() !== 0) throw new Error('fake world tests need root (CI runs as root)');

const POOL_DIFFICULTY = 2 ** -20; // about 4,096 hashes a share: quick for the test's own miner

function netnsList(): string {
  return execFileSync('ip', ['netns', 'list'], { encoding: 'utf8' });
}

function hasLink(name: string): boolean {
  return execFileSync('ip', ['-o', 'link', 'show'], { encoding: 'utf8' })
    .split('\n')
    .some((l) => l.includes(` ${name}@`) || l.includes(` ${name}:`));
}

/** Connects, optionally writes, and collects what the server sends until `done` says enough. */
function talk(address: string, port: number, send: string | null, done: (got: string) => boolean, timeoutMs = 5_000): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, address);
    let got = '';
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`no answer from ${address}:${port} (got ${JSON.stringify(got)})`));
    }, timeoutMs);
    socket.on('connect', () => {
      if (send !== null) socket.write(send);
    });
    socket.on('data', (c: Buffer) => {
      got += c.toString('latin1');
      if (done(got)) {
        clearTimeout(timer);
        socket.destroy();
        resolve(got);
      }
    });
    socket.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
  });
}

async function httpGet(address: string, path: string): Promise<{ status: number; body: string }> {
  const res = await fetch(`http://${address}${path}`);
  return { status: res.status, body: await res.text() };
}

/** A line-oriented Stratum client: sends requests, waits for lines matching a predicate. */
class StratumClient {
  readonly lines: unknown[] = [];
  #buffer = '';
  #waiters: (() => void)[] = [];
  private constructor(readonly socket: Socket) {
    socket.on('data', (c: Buffer) => {
      this.#buffer += c.toString();
      let nl: number;
      while ((nl = this.#buffer.indexOf('\n')) >= 0) {
        this.lines.push(JSON.parse(this.#buffer.slice(0, nl)));
        this.#buffer = this.#buffer.slice(nl + 1);
      }
      for (const w of this.#waiters.splice(0)) w();
    });
  }

  static open(address: string, port: number): Promise<StratumClient> {
    return new Promise((resolve, reject) => {
      const socket = connect(port, address, () => resolve(new StratumClient(socket)));
      socket.once('error', reject);
    });
  }

  send(msg: object): void {
    this.socket.write(`${JSON.stringify(msg)}\n`);
  }

  async waitFor<T>(pick: (line: unknown) => T | undefined, timeoutMs = 5_000): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      for (const line of this.lines) {
        const v = pick(line);
        if (v !== undefined) return v;
      }
      if (Date.now() > deadline) throw new Error(`stratum: nothing matched in ${JSON.stringify(this.lines)}`);
      await new Promise<void>((resolve) => {
        this.#waiters.push(resolve);
        setTimeout(resolve, 100);
      });
    }
  }
}

const byId =
  (id: number) =>
  (line: unknown): { result: unknown } | undefined => {
    const l = line as { id?: unknown; result?: unknown };
    return l.id === id ? { result: l.result } : undefined;
  };

describe('the fake world', () => {
  let world: FakeWorld;
  let startMs = 0;
  const dir = mkdtempSync(`${tmpdir()}/praetor-world-test-`);
  const payload = `${dir}/hello.sh`;

  before(async () => {
    writeFileSync(payload, '#!/bin/sh\necho hello from downloads\n');
    const t0 = performance.now();
    world = await startFakeWorld({ files: { '/tools/hello.sh': payload }, poolDifficulty: POOL_DIFFICULTY });
    startMs = performance.now() - t0;
    console.log(`fake world ${world.id} started in ${startMs.toFixed(0)} ms`);
  });

  after(async () => {
    await world.close();
    rmSync(dir, { recursive: true, force: true });
  });

  // Start-up time is printed above (0.5-0.9 s on a 2-core host, most of it node loading the world
  // server's modules), never asserted: timings belong in benchmarks, not tests.
  it('starts with its namespace and veth in place', () => {
    assert.ok(netnsList().split('\n').some((l) => l.split(' ')[0] === world.netns));
  });

  it('the ssh host is a real OpenSSH on ports 22 and 443 that lets nobody in, and counts what clients send', async () => {
    const ssh = hostByName(world.hosts, SSH_HOST);
    for (const port of [22, 443]) {
      const banner = await talk(ssh.address, port, null, (g) => g.includes('\n'));
      assert.match(banner, /^SSH-2\.0-OpenSSH_/);
    }
    const client = spawnSync(
      'ssh',
      ['-o', 'BatchMode=yes', '-o', 'StrictHostKeyChecking=no', '-o', 'UserKnownHostsFile=/dev/null', '-o', 'ConnectTimeout=5', '-p', '443', `x@${ssh.address}`, 'true'],
      { encoding: 'utf8', timeout: 15_000 },
    );
    assert.equal(client.status, 255, client.stderr);
    assert.match(client.stderr, /Permission denied/, 'key exchange completed and authentication was refused');
    const stats = await world.stats();
    assert.ok((stats.hosts[SSH_HOST]?.connections ?? 0) >= 3);
    assert.ok((stats.hosts[SSH_HOST]?.bytesReceived ?? 0) > 1_000, 'the ssh client\'s key exchange is counted');
  });

  it('the pool speaks Stratum v1 on 3333 and 443, and counts subscribes, authorizes and shares', async () => {
    const pool = hostByName(world.hosts, POOL_HOST);
    const client = await StratumClient.open(pool.address, STRATUM_PORT);
    try {
      client.send({ id: 1, method: 'mining.subscribe', params: ['test-miner/1.0'] });
      const sub = (await client.waitFor(byId(1))).result as [unknown, string, number];
      client.send({ id: 2, method: 'mining.authorize', params: ['wallet.worker', 'x'] });
      assert.equal((await client.waitFor(byId(2))).result, true);
      const notify = await client.waitFor((l) => {
        const m = l as { method?: string; params?: unknown[] };
        return m.method === 'mining.notify' ? (m.params as string[] & unknown[]) : undefined;
      });
      const [jobId, prevhash, coinb1, coinb2, branches, version, nbits, ntime] = notify as [string, string, string, string, string[], string, string, string];
      const job: StratumJob = { jobId, prevhash, coinb1, coinb2, merkleBranches: branches, version, nbits, ntime };
      const extranonce2 = '00000000';
      let nonce = 0;
      const hex = (n: number): string => n.toString(16).padStart(8, '0');
      while (!shareMeetsDifficulty(job, { extranonce1: sub[1], extranonce2, ntime, nonce: hex(nonce) }, POOL_DIFFICULTY)) nonce++;
      client.send({ id: 3, method: 'mining.submit', params: ['wallet.worker', jobId, extranonce2, ntime, hex(nonce)] });
      assert.equal((await client.waitFor(byId(3))).result, true);
    } finally {
      client.socket.destroy();
    }
    const other = await talk(pool.address, 443, `${JSON.stringify({ id: 9, method: 'mining.subscribe', params: [] })}\n`, (g) => g.includes('\n'));
    assert.match(other, /"id":9/);
    const stats = await world.stats();
    assert.ok(stats.pool.subscribes >= 2 && stats.pool.authorizes >= 1 && stats.pool.shares >= 1, JSON.stringify(stats.pool));
    assert.deepEqual(stats.pool.workers, ['wallet.worker']);
    assert.ok((stats.hosts[POOL_HOST]?.connections ?? 0) >= 2);
    assert.ok((stats.hosts[POOL_HOST]?.bytesReceived ?? 0) > 100);
  });

  it('the docs site, the npm registry and the downloads host answer HTTP', async () => {
    const docs = await httpGet(hostByName(world.hosts, DOCS_HOST).address, '/');
    assert.equal(docs.status, 200);
    assert.match(docs.body, /tiny-pad/);
    const meta = await httpGet(hostByName(world.hosts, REGISTRY_HOST).address, '/tiny-pad');
    assert.equal(meta.status, 200);
    assert.match(meta.body, /http:\/\/registry\.example\.test\/tiny-pad\/-\/tiny-pad-1\.0\.0\.tgz/);
    const file = await httpGet(hostByName(world.hosts, DOWNLOADS_HOST).address, '/tools/hello.sh');
    assert.equal(file.status, 200);
    assert.equal(file.body, '#!/bin/sh\necho hello from downloads\n');
    const stats = await world.stats();
    assert.ok((stats.hosts[DOCS_HOST]?.bytesReceived ?? 0) > 0);
    assert.ok((stats.hosts[DOWNLOADS_HOST]?.connections ?? 0) > 0);
  });

  it('internal hosts answer on their ports', async () => {
    assert.match(await talk(hostByName(world.hosts, CACHE_HOST).address, 6379, 'PING\r\n', (g) => g.includes('\r\n')), /^-NOAUTH/);
    assert.match(await talk(hostByName(world.hosts, CI_HOST).address, 8080, 'GET / HTTP/1.0\r\n\r\n', (g) => g.includes('\r\n\r\n')), /^HTTP\/1\.1 401/);
    assert.match(await talk(hostByName(world.hosts, DB_HOST).address, 22, null, (g) => g.includes('\n')), /^SSH-2\.0-OpenSSH_/);
    const stats = await world.stats();
    assert.ok((stats.hosts[CACHE_HOST]?.bytesReceived ?? 0) >= 6);
  });

  it('a sandbox reaches an allowed world host through its proxy and is refused the pool', async () => {
    const backend = new LocalBackend({ resolver: world.resolver, allowCidrs: world.allowCidrs });
    try {
      const sandbox = await backend.create({ allowDomains: [DOCS_HOST] });
      const ok = await sandbox.exec(['curl', '-sS', '--max-time', '10', `http://${DOCS_HOST}/`], { timeoutMs: 20_000 });
      assert.equal(ok.exitCode, 0, ok.stderr.toString());
      assert.match(ok.stdout.toString(), /tiny-pad/);
      const denied = await sandbox.exec(['curl', '-s', '-o', '/dev/null', '-w', '%{http_code}', '--max-time', '10', `http://${POOL_HOST}:${STRATUM_PORT}/`], {
        timeoutMs: 20_000,
      });
      assert.equal(denied.stdout.toString(), '403');
      const direct = await sandbox.exec(
        ['curl', '-s', '--noproxy', '*', '--max-time', '5', `http://${hostByName(world.hosts, DOCS_HOST).address}/`],
        { timeoutMs: 20_000 },
      );
      assert.notEqual(direct.exitCode, 0, 'the world is not reachable around the proxy');
    } finally {
      await backend.close();
    }
  });

  it('praetor gc leaves a live world alone', async () => {
    await collectGarbage(defaultHostPaths());
    assert.ok(netnsList().split('\n').some((l) => l.split(' ')[0] === world.netns));
    assert.equal((await fetch(`http://${hostByName(world.hosts, DOCS_HOST).address}/`)).status, 200);
  });
});

it('close() leaves no namespace, veth, process, temp dir or record', async () => {
  const world = await startFakeWorld();
  const pids = execFileSync('ip', ['netns', 'pids', world.netns], { encoding: 'utf8' }).trim().split('\n').map(Number);
  assert.ok(pids.length >= 2, `world server and sshd run in the namespace: ${pids.join(',')}`);
  const slot = Number(world.hostAddress.split('.')[2]) / 2;
  const t0 = performance.now();
  await world.close();
  console.log(`fake world ${world.id} closed in ${(performance.now() - t0).toFixed(0)} ms`);
  await world.close(); // idempotent
  assert.ok(!netnsList().includes(world.netns), 'namespace removed');
  assert.ok(!hasLink(`pw${slot}`), 'veth removed');
  assert.deepEqual(pids.filter((p) => !exited(p)), [], 'no process of the world is left');
  assert.ok(!existsSync(world.logPath), 'temp dir removed');
  assert.ok(!existsSync(`${defaultHostPaths().stateDir}/worlds/${world.id}.json`), 'record removed');
});

it('a world whose owner was killed is swept: its server exits and its namespace is removed', async () => {
  const module = fileURLToPath(new URL('./fake-world.js', import.meta.url));
  const owner = spawn(
    process.execPath,
    ['--input-type=module', '-e', `const m = await import(${JSON.stringify(module)}); const w = await m.startFakeWorld(); console.log(w.netns); setInterval(() => {}, 1000);`],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  const netns = await new Promise<string>((resolve, reject) => {
    let out = '';
    owner.stdout.on('data', (c: Buffer) => {
      out += c.toString();
      if (out.includes('\n')) resolve(out.trim());
    });
    owner.once('exit', (code) => reject(new Error(`owner exited early (${code})`)));
  });
  const pids = execFileSync('ip', ['netns', 'pids', netns], { encoding: 'utf8' }).trim().split('\n').map(Number);
  owner.kill('SIGKILL');
  await new Promise((resolve) => owner.once('exit', resolve));
  const deadline = Date.now() + 5_000;
  while (!pids.every(exited) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
  assert.deepEqual(pids.filter((p) => !exited(p)), [], 'the world server and sshd exit with their owner');
  assert.ok(netnsList().includes(netns), 'the namespace stays until swept');
  await new WorldRegistry(defaultHostPaths().stateDir).sweepDead();
  assert.ok(!netnsList().includes(netns), 'swept');
});
