// The TypeScript client against a real praetord, on its unix socket (no key: the implicit admin)
// and on loopback TCP (a key of scope sandboxes / envs): create, exec, a session keeping cwd and
// env, files and archives round trip, the event stream delivering an alert with its step while the
// step still runs, the environment protocol, freeze/thaw, destroy. Needs root.
import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Praetor, PraetorApiError, type ApiExecResult, type PraetorEvent } from 'praetor';
import { startPraetord, type PraetordProcess } from '../../testing/praetord-process.js';

let daemon: PraetordProcess;
const clients: Record<'socket' | 'tcp', Praetor> = {} as Record<'socket' | 'tcp', Praetor>;
let envsClient: Praetor;

before(async () => {
  daemon = await startPraetord();
  clients.socket = new Praetor({ host: `unix:${daemon.socketPath}` });
  clients.tcp = new Praetor({ host: daemon.url, apiKey: (await daemon.createKey('ts-sandboxes', { scope: 'sandboxes' })).key });
  envsClient = new Praetor({ host: daemon.url, apiKey: (await daemon.createKey('ts-envs', { scope: 'envs' })).key });
});

after(async () => {
  for (const c of [clients.socket, clients.tcp, envsClient]) c?.close();
  assert.equal(await daemon.stop(), 0, daemon.stderr());
});

function tarOf(files: Record<string, string>): Buffer {
  const dir = mkdtempSync(join(tmpdir(), 'praetor-tar-'));
  try {
    for (const [name, text] of Object.entries(files)) {
      mkdirSync(join(dir, name, '..'), { recursive: true });
      writeFileSync(join(dir, name), text);
    }
    return execFileSync('tar', ['-C', dir, '-cf', '-', '.']);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function filesOf(tar: Buffer): Record<string, string> {
  const dir = mkdtempSync(join(tmpdir(), 'praetor-untar-'));
  try {
    execFileSync('tar', ['-C', dir, '-xf', '-'], { input: tar });
    const out: Record<string, string> = {};
    for (const name of execFileSync('find', ['.', '-type', 'f'], { cwd: dir, encoding: 'utf8' }).split('\n').filter(Boolean)) {
      out[name.replace(/^\.\//, '')] = readFileSync(join(dir, name), 'utf8');
    }
    return out;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

for (const transport of ['socket', 'tcp'] as const) {
  describe(`TypeScript client over ${transport}`, () => {
    it('creates a sandbox, runs commands as steps, and destroys it', async () => {
      const praetor = clients[transport];
      const sandbox = await praetor.sandboxes.create({ env: { GREETING: 'hello' }, labels: { test: transport } });
      assert.equal(sandbox.record.state, 'running');
      assert.ok((await praetor.sandboxes.list()).some((s) => s.id === sandbox.id));
      const first = await sandbox.exec('echo "$GREETING from $(pwd)"; echo oops >&2; exit 3');
      assert.equal(first.exitCode, 3);
      assert.equal(first.stdout, 'hello from /workspace\n');
      assert.equal(first.stderr, 'oops\n');
      const second = await sandbox.exec(['cat'], { stdin: 'piped' });
      assert.equal(second.stdout, 'piped');
      assert.equal(second.step, first.step + 1);
      const events: string[] = [];
      let result: ApiExecResult | undefined;
      for await (const e of sandbox.execStream('echo out; echo err >&2')) {
        events.push(e.type);
        if (e.type === 'exit') result = e.result;
      }
      assert.deepEqual(events.filter((t) => t !== 'exit').sort(), ['stderr', 'stdout']);
      assert.equal(events.at(-1), 'exit');
      assert.equal(result?.exitCode, 0);
      await sandbox.destroy();
      await assert.rejects(praetor.sandboxes.get(sandbox.id), (err: unknown) => err instanceof PraetorApiError && err.status === 404);
    });

    it('keeps cwd and exported variables across the commands of a session', async () => {
      const sandbox = await clients[transport].sandboxes.create();
      try {
        const session = await sandbox.createSession();
        await session.exec('mkdir -p /tmp/deep/er && cd /tmp/deep/er && export MARK=kept-$((20+22))');
        const r = await session.exec('echo "$(pwd) $MARK"');
        assert.equal(r.stdout, '/tmp/deep/er kept-42\n');
        const fresh = await sandbox.exec('echo "$(pwd) ${MARK:-unset}"');
        assert.equal(fresh.stdout, '/workspace unset\n', 'a plain exec does not see the session');
        await session.close();
      } finally {
        await sandbox.destroy();
      }
    });

    it('round-trips files and archives', async () => {
      const sandbox = await clients[transport].sandboxes.create({ workspace: tarOf({ 'seed.txt': 'from the create body\n' }) });
      try {
        assert.equal((await sandbox.files.read('/workspace/seed.txt')).toString(), 'from the create body\n');
        const bytes = Buffer.from([0, 1, 2, 255, 254, 10]);
        await sandbox.files.write('/workspace/sub/bin.dat', bytes);
        assert.deepEqual(await sandbox.files.read('sub/bin.dat'), bytes);
        const listed = await sandbox.files.list('/workspace');
        assert.deepEqual(listed.map((e) => [e.name, e.type]), [['seed.txt', 'file'], ['sub', 'directory']]);
        await sandbox.archive.upload('/workspace/unpacked', tarOf({ 'a.txt': 'A\n', 'b/c.txt': 'C\n' }));
        assert.equal((await sandbox.exec('cat /workspace/unpacked/b/c.txt')).stdout, 'C\n');
        assert.deepEqual(filesOf(await sandbox.archive.download('/workspace/unpacked')), { 'a.txt': 'A\n', 'b/c.txt': 'C\n' });
      } finally {
        await sandbox.destroy();
      }
    });
  });
}

describe('events', () => {
  it('delivers an alert with its step while the step is still running', async () => {
    const praetor = clients.tcp;
    const sandbox = await praetor.sandboxes.create({ guardMode: 'monitor' });
    const abort = new AbortController();
    try {
      const seen: { event: PraetorEvent; at: number }[] = [];
      const gotAlert = (async () => {
        try {
          for await (const event of praetor.events({ sandbox: sandbox.id, types: ['alert', 'step'], signal: abort.signal })) {
            seen.push({ event, at: Date.now() });
            if (event.type === 'alert') return;
          }
        } catch (err) {
          if ((err as Error).name !== 'AbortError') throw err;
        }
      })();
      await new Promise((r) => setTimeout(r, 300)); // the subscription is open before the step starts
      // Reads a private key (credential access), then keeps the step running for 3 s.
      const step = sandbox.exec('mkdir -p ~/.ssh && echo k > ~/.ssh/id_rsa && cat ~/.ssh/id_rsa >/dev/null; sleep 3');
      await gotAlert;
      const alertAt = Date.now();
      const result = await step;
      const finishedAt = Date.now();
      const alert = seen.find((s) => s.event.type === 'alert');
      assert.ok(alert, `events seen: ${seen.map((s) => s.event.type).join(', ')}`);
      assert.equal(alert.event.step, result.step, 'the alert names the step that caused it');
      assert.equal(alert.event.data.ruleId, 'ssh-private-key-read');
      assert.ok(finishedAt - alertAt > 1000, `the alert came while the step ran (${finishedAt - alertAt} ms before it ended)`);
      assert.ok(result.alerts.some((a) => a.ruleId === 'ssh-private-key-read' && a.step === result.step));
      const later = await sandbox.alerts(result.step);
      assert.ok(later.alerts.some((a) => a.ruleId === 'ssh-private-key-read'), 'the alert is kept with its step');
      assert.deepEqual((await sandbox.alerts(result.step + 1)).alerts, []);
    } finally {
      abort.abort();
      await sandbox.destroy();
    }
  });
});

describe('environment protocol', () => {
  it('resets, steps and closes an episode, scored by its verifier', async () => {
    const env = await envsClient.envs.create({ id: 'touch-done', instruction: 'create /workspace/done', verifier: 'test -f /workspace/done' });
    const reset = await env.reset();
    assert.equal(reset.observation, 'create /workspace/done');
    const stepped = await env.step({ id: 'c1', name: 'bash', arguments: { command: 'touch /workspace/done && echo made' } });
    assert.match(stepped.observation, /made/);
    assert.equal(stepped.terminated, false);
    const end = await env.step({ name: 'submit' });
    assert.deepEqual([end.terminated, end.truncated, end.reward], [true, false, 1]);
    assert.equal(end.info.status, 'completed');
    await env.close();
    await assert.rejects(env.reset(), (err: unknown) => err instanceof PraetorApiError && err.status === 404);
  });
});

describe('freeze and thaw', () => {
  it('refuses to exec in a frozen sandbox and runs again once thawed', async () => {
    const sandbox = await clients.socket.sandboxes.create();
    try {
      assert.equal((await sandbox.freeze()).state, 'frozen');
      await assert.rejects(sandbox.exec('true'), (err: unknown) => err instanceof PraetorApiError && err.status === 409);
      assert.equal((await sandbox.thaw()).state, 'running');
      assert.equal((await sandbox.exec('echo back')).stdout, 'back\n');
    } finally {
      await sandbox.destroy();
    }
  });
});
