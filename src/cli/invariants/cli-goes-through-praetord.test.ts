// The CLI as a client: with praetord reachable `praetor run` and `praetor sandbox ...` go through it
// (the daemon's own event stream sees the sandbox come and go); without one `praetor run` runs in
// this process and the sandbox commands say in one line that they need the daemon (exit 69); a
// PRAETOR_HOST that does not answer is an error, never a silent local run. Needs root.
import * as assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createServer } from 'node:net';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Praetor, type PraetorEvent } from 'praetor';
import { CLI, startPraetord, type PraetordProcess } from '../../testing/praetord-process.js';

let daemon: PraetordProcess;

before(async () => {
  daemon = await startPraetord();
});

after(async () => {
  assert.equal(await daemon.stop(), 0, daemon.stderr());
});

interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

async function praetor(args: readonly string[], env: Record<string, string>, input?: string): Promise<CliResult> {
  const base: Record<string, string> = { PATH: process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin' };
  const child = execFile(process.execPath, [CLI, ...args], { env: { ...base, ...env }, timeout: 120_000 });
  if (input !== undefined) child.stdin?.end(input);
  else child.stdin?.end();
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (c: Buffer) => (stdout += c.toString()));
  child.stderr?.on('data', (c: Buffer) => (stderr += c.toString()));
  const code = await new Promise<number>((resolve) => child.on('close', (c) => resolve(c ?? -1)));
  return { code, stdout, stderr };
}

/** Sandbox lifecycle events the daemon publishes while `fn` runs (and after, until `until` holds or 30 s pass). */
async function lifecycleDuring(fn: () => Promise<void>, until: (seen: readonly PraetorEvent[]) => boolean = () => true): Promise<PraetorEvent[]> {
  const admin = new Praetor({ host: `unix:${daemon.socketPath}`, apiKey: '' });
  const abort = new AbortController();
  const seen: PraetorEvent[] = [];
  const following = (async () => {
    try {
      for await (const e of admin.events({ types: ['sandbox'], signal: abort.signal })) seen.push(e);
    } catch (err) {
      if ((err as Error).name !== 'AbortError') throw err;
    }
  })();
  await new Promise((r) => setTimeout(r, 200));
  try {
    await fn();
    await new Promise((r) => setTimeout(r, 200));
    for (let waited = 0; !until(seen) && waited < 30_000; waited += 50) await new Promise((r) => setTimeout(r, 50));
  } finally {
    abort.abort();
    await following;
    admin.close();
  }
  return seen;
}

describe('praetor run', () => {
  it('goes through praetord when PRAETOR_HOST names it', async () => {
    let result: CliResult | undefined;
    const events = await lifecycleDuring(async () => {
      result = await praetor(['run', '--', 'sh', '-c', 'echo through; exit 7'], { PRAETOR_HOST: `unix:${daemon.socketPath}` });
      // the daemon destroys a one-shot run's sandbox once the CLI has its exit, without the CLI waiting
    }, (seen) => seen.some((e) => e.data.phase === 'destroyed'));
    assert.equal(result?.code, 7, result?.stderr);
    assert.equal(result?.stdout, 'through\n');
    const phases = events.map((e) => `${String(e.data.phase)}`);
    assert.deepEqual(phases, ['created', 'destroyed'], JSON.stringify(events));
    assert.equal(events[0]?.sandbox, events[1]?.sandbox);
  });

  it('finds the daemon on its socket (PRAETOR_SOCKET) and returns JSON with the step', async () => {
    let result: CliResult | undefined;
    const events = await lifecycleDuring(async () => {
      result = await praetor(['run', '--json', '--', 'echo', 'hi'], { PRAETOR_SOCKET: daemon.socketPath });
    });
    const out = JSON.parse(result?.stdout ?? '') as { sandboxId: string; exitCode: number; stdout: string; step: number };
    assert.deepEqual([out.exitCode, out.stdout, out.step], [0, 'hi\n', 1]);
    assert.ok(events.some((e) => e.sandbox === out.sandboxId && e.data.phase === 'created'));
  });

  it('runs in this process when no daemon answers, and with --local', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'praetor-nodaemon-'));
    // A socket file nobody listens on any more (a killed daemon's).
    const stale = join(dir, 'stale.sock');
    const server = createServer();
    await new Promise<void>((r) => server.listen(stale, r));
    await new Promise<void>((r) => server.close(() => r()));
    try {
      for (const socket of [join(dir, 'missing.sock'), stale]) {
        let result: CliResult | undefined;
        const events = await lifecycleDuring(async () => {
          result = await praetor(['run', '--json', '--', 'echo', 'local'], { PRAETOR_SOCKET: socket });
        });
        const out = JSON.parse(result?.stdout ?? '') as { stdout: string; network: unknown[] };
        assert.equal(out.stdout, 'local\n');
        assert.ok(Array.isArray(out.network), 'the in-process result carries the network record');
        assert.deepEqual(events, [], 'the daemon saw nothing');
      }
      const events = await lifecycleDuring(async () => {
        const r = await praetor(['run', '--local', '--', 'true'], { PRAETOR_SOCKET: daemon.socketPath });
        assert.equal(r.code, 0, r.stderr);
      });
      assert.deepEqual(events, []);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('refuses a PRAETOR_HOST that does not answer, in one line, instead of running here', async () => {
    const r = await praetor(['run', '--', 'true'], { PRAETOR_HOST: 'unix:/nonexistent/praetord.sock' });
    assert.equal(r.code, 69);
    assert.match(r.stderr, /^praetor: [^\n]*unreachable|^praetor: [^\n]*ENOENT/);
    assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
    const bad = await praetor(['run', '--', 'true'], { PRAETOR_HOST: 'ftp://x' });
    assert.equal(bad.code, 64);
  });
});

describe('praetor episode run', () => {
  it('runs a scripted policy through the daemon: its environment protocol steps, its store keeps the episode', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'praetor-episode-'));
    try {
      writeFileSync(join(dir, 'task.yaml'), 'id: make-done\ninstruction: create /workspace/done\nverifier: test -f /workspace/done\n');
      writeFileSync(join(dir, 'script.yaml'), '- tool: bash\n  args: { command: "touch /workspace/done && echo made" }\n');
      const r = await praetor(['episode', 'run', join(dir, 'task.yaml'), '--policy', `scripted:${join(dir, 'script.yaml')}`, '--json'], { PRAETOR_HOST: `unix:${daemon.socketPath}` });
      assert.equal(r.code, 0, r.stderr);
      const { episode, steps } = JSON.parse(r.stdout) as { episode: { id: string; status: string; outcome: { reward: number } }; steps: { observation: { content: string } }[] };
      assert.deepEqual([episode.status, episode.outcome.reward, steps.length], ['completed', 1, 1]);
      assert.match(steps[0]?.observation.content ?? '', /made/);
      const admin = new Praetor({ host: `unix:${daemon.socketPath}`, apiKey: '' });
      try {
        assert.equal(((await admin.episodes.get(episode.id)).episode as { status: string }).status, 'completed', 'the daemon stored it');
      } finally {
        admin.close();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('praetor sandbox', () => {
  it('creates, execs, lists, opens a shell and removes through praetord', async () => {
    const env = { PRAETOR_HOST: `unix:${daemon.socketPath}` };
    const created = await praetor(['sandbox', 'create', '--env', 'WHO=cli', '--label', 'from=test'], env);
    assert.equal(created.code, 0, created.stderr);
    const id = created.stdout.trim();
    assert.match(id, /^sb-[0-9a-f]+$/);
    const exec = await praetor(['sandbox', 'exec', id, '--', 'sh', '-c', 'echo $WHO > /workspace/who; cat /workspace/who; exit 5'], env);
    assert.deepEqual([exec.code, exec.stdout], [5, 'cli\n']);
    const ls = await praetor(['sandbox', 'ls', '--json'], env);
    assert.ok((JSON.parse(ls.stdout) as { id: string }[]).some((s) => s.id === id));
    const shell = await praetor(['sandbox', 'shell', id], env, 'cd /tmp\nexport X=kept\necho "$(pwd) $X $(cat /workspace/who)"\nexit\n');
    assert.equal(shell.code, 0, shell.stderr);
    assert.equal(shell.stdout, '/tmp kept cli\n');
    const rm = await praetor(['sandbox', 'rm', id], env);
    assert.equal(rm.code, 0, rm.stderr);
    const gone = await praetor(['sandbox', 'exec', id, '--', 'true'], env);
    assert.equal(gone.code, 69);
    assert.equal(gone.stderr.trim().split('\n').length, 1, gone.stderr);
  });

  it('says in one line that it needs the daemon when none runs (exit 69)', async () => {
    for (const args of [['sandbox', 'ls'], ['sandbox', 'create'], ['sandbox', 'exec', 'sb-x', '--', 'true'], ['sandbox', 'rm', 'sb-x'], ['sandbox', 'shell', 'sb-x']]) {
      const r = await praetor(args, { PRAETOR_SOCKET: '/nonexistent/praetord.sock' });
      assert.equal(r.code, 69, `${args.join(' ')}: ${r.stderr}`);
      assert.match(r.stderr, /^praetor: this command needs praetord: [^\n]*\n$/);
    }
  });
});
