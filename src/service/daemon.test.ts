// praetord as a real process on a temporary socket and loopback TCP, spoken to with plain HTTP:
// create, exec, a session keeping cwd and env, files and archives round trip, the event stream
// delivering an alert with its step while the step runs, the environment protocol, destroy,
// 401/403/429 and key isolation, and a SIGTERM that leaves no sandbox. Root (CI is root).
import { after, before, describe, it } from 'node:test';
import * as assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { Readable } from 'node:stream';
import * as tar from 'tar-stream';
import { MINER, WALLET } from '../testing/miner-test-kit.js';
import { DaemonProcess, runCli } from './testing/daemon-process.js';

async function tarOf(files: Record<string, Buffer | string>): Promise<Buffer> {
  const pack = tar.pack();
  const chunks: Buffer[] = [];
  pack.on('data', (c: unknown) => chunks.push(c as Buffer));
  const done = new Promise<void>((resolve) => pack.on('end', () => resolve()));
  for (const [name, body] of Object.entries(files)) pack.entry({ name, mode: 0o644 }, body);
  pack.finalize();
  await done;
  return Buffer.concat(chunks);
}

async function untar(data: Buffer): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  const extract = tar.extract();
  Readable.from([data]).pipe(extract);
  for await (const e of extract) {
    const chunks: Buffer[] = [];
    for await (const c of e) chunks.push(c as Buffer);
    if (e.header.type === 'file') out.set(e.header.name.replace(/^\.\//, ''), Buffer.concat(chunks).toString());
  }
  return out;
}

describe('praetord over a socket and TCP', () => {
  let d: DaemonProcess;
  let admin: string;
  let sandboxesKey: string;
  const created: string[] = [];

  before(async () => {
    if (process.getuid?.() !== 0) throw new Error('needs root (CI runs as root)');
    d = await DaemonProcess.start(['--pool', '2', '--guard', 'block']);
    admin = await d.createKey('admin');
    sandboxesKey = await d.createKey('sandboxes');
  });

  after(async () => {
    if (!d) return;
    const code = await d.stop('SIGTERM');
    d.cleanup();
    assert.equal(code, 0, d.stderr);
  });

  const create = async (key: string, body: unknown = {}): Promise<string> => {
    const r = await d.call('POST', '/v1/sandboxes', { key, body });
    assert.equal(r.status, 201, r.body.toString());
    created.push(String(r.json.id));
    return String(r.json.id);
  };

  it('creates, execs and destroys over TCP with a key and over the socket without one', async () => {
    const id = await create(sandboxesKey, { env: { GREETING: 'hello' }, labels: { run: 't1' } });
    const r = await d.call('POST', `/v1/sandboxes/${id}/exec`, { key: sandboxesKey, body: { command: 'echo "$GREETING from $(pwd)"; echo err >&2; exit 3' } });
    assert.equal(r.status, 200);
    assert.deepEqual([r.json.step, r.json.exitCode, r.json.stdout, r.json.stderr], [1, 3, 'hello from /workspace\n', 'err\n']);
    const argv = await d.call('POST', `/v1/sandboxes/${id}/exec`, { via: 'unix', body: { command: ['printf', '%s|', 'a b', '$HOME'], stdin: 'unused' } });
    assert.deepEqual([argv.json.step, argv.json.stdout], [2, 'a b|$HOME|']);
    const got = await d.call('GET', `/v1/sandboxes/${id}`, { key: sandboxesKey });
    assert.deepEqual([got.json.state, got.json.steps, got.json.owner !== 'local'], ['running', 2, true]);
    assert.equal((await d.call('DELETE', `/v1/sandboxes/${id}`, { key: sandboxesKey })).status, 204);
    assert.equal((await d.call('GET', `/v1/sandboxes/${id}`, { key: sandboxesKey })).status, 404);
    assert.equal(existsSync(`/run/praetor/sandboxes/${id}.json`), false, 'destroyed on the host too');
  });

  it('a session keeps cwd, exported variables and functions; each command is a step', async () => {
    const id = await create(sandboxesKey);
    const s = await d.call('POST', `/v1/sandboxes/${id}/sessions`, { key: sandboxesKey, body: { env: { START: '1' } } });
    assert.equal(s.status, 201);
    const run = async (command: string): Promise<Record<string, unknown>> =>
      (await d.call('POST', `/v1/sandboxes/${id}/sessions/${String(s.json.session)}/exec`, { key: sandboxesKey, body: { command } })).json;
    await run('mkdir -p /tmp/deep/er && cd /tmp/deep && export TOKEN=abc && twice() { echo "$1$1"; }');
    const second = await run('cd er; pwd; echo "$TOKEN $START"; twice x');
    assert.equal(second.stdout, '/tmp/deep/er\nabc 1\nxx\n');
    const third = await run('pwd');
    assert.equal(third.stdout, '/tmp/deep/er\n');
    assert.deepEqual([second.step, third.step], [2, 3]);
    assert.equal((await d.call('DELETE', `/v1/sandboxes/${id}/sessions/${String(s.json.session)}`, { key: sandboxesKey })).status, 204);
    assert.equal((await d.call('POST', `/v1/sandboxes/${id}/sessions/${String(s.json.session)}/exec`, { key: sandboxesKey, body: { command: 'pwd' } })).status, 404);
  });

  it('files and archives round trip, bytes intact; a workspace archive arrives with create', async () => {
    const workspaceTar = (await tarOf({ 'src/app.py': 'print("hi")\n', 'README': 'read me\n' })).toString('base64');
    const id = await create(sandboxesKey, { workspaceTar });
    const listed = await d.call('GET', `/v1/sandboxes/${id}/files/list`, { key: sandboxesKey });
    assert.deepEqual((listed.json.entries as { name: string; type: string }[]).map((e) => [e.name, e.type]), [
      ['README', 'file'],
      ['src', 'directory'],
    ]);
    const blob = randomBytes(300_000);
    assert.equal((await d.call('PUT', `/v1/sandboxes/${id}/files?path=data/blob.bin`, { key: sandboxesKey, raw: blob })).status, 204);
    const back = await d.call('GET', `/v1/sandboxes/${id}/files?path=/workspace/data/blob.bin`, { key: sandboxesKey });
    assert.equal(back.status, 200);
    assert.equal(Buffer.compare(back.body, blob), 0);
    assert.equal((await d.call('GET', `/v1/sandboxes/${id}/files?path=missing`, { key: sandboxesKey })).status, 404);
    const upload = await tarOf({ 'a.txt': 'A', 'nested/b.txt': 'B' });
    assert.equal((await d.call('PUT', `/v1/sandboxes/${id}/archive?path=/tmp/up`, { key: sandboxesKey, raw: upload, headers: { 'content-type': 'application/x-tar' } })).status, 204);
    const down = await d.call('GET', `/v1/sandboxes/${id}/archive?path=/tmp/up`, { key: sandboxesKey });
    assert.equal(down.headers['content-type'], 'application/x-tar');
    assert.deepEqual(Object.fromEntries(await untar(down.body)), { 'a.txt': 'A', 'nested/b.txt': 'B' });
    const app = await d.call('POST', `/v1/sandboxes/${id}/exec`, { key: sandboxesKey, body: { command: 'cat src/app.py' } });
    assert.equal(app.json.stdout, 'print("hi")\n');
  });

  it('the event stream delivers the miner alert with its step while the step still runs', async () => {
    const id = await create(sandboxesKey, { guardMode: 'monitor' });
    assert.equal((await d.call('PUT', `/v1/sandboxes/${id}/files?path=/tmp/miner`, { key: sandboxesKey, raw: readFileSync(MINER) })).status, 204);
    await d.call('POST', `/v1/sandboxes/${id}/exec`, { key: sandboxesKey, body: { command: ['chmod', '+x', '/tmp/miner'] } });
    const events = await d.sse('GET', `/v1/events?sandbox=${id}&types=alert,step`, { key: sandboxesKey });
    const stream = await d.sse('POST', `/v1/sandboxes/${id}/exec/stream`, {
      key: sandboxesKey,
      body: { command: ['/tmp/miner', '-o', 'stratum+tcp://127.0.0.1:3333', '-u', WALLET, '-p', 'x', '-t', '1', '--max-cpu-usage', '20', '--run-seconds', '3'] },
    });
    const alert = await events.waitFor((e) => e.event === 'alert' && e.data.data !== undefined && (e.data.data as { ruleId: string }).ruleId.startsWith('miner'));
    const exit = await stream.waitFor((e) => e.event === 'exit', 20_000);
    const step = exit.data.step as number;
    assert.equal(alert.data.step, step, 'the alert names the step that ran the miner');
    assert.equal(alert.data.sandbox, id);
    assert.equal((alert.data.data as { technique: string }).technique, 'T1496');
    // Two streams: the step's end may reach the event stream a moment after exec/stream's exit.
    const ended = await events.waitFor((e) => e.event === 'step' && e.data.step === step && (e.data.data as { phase: string }).phase === 'end', 5_000);
    assert.ok(ended, 'the step end is on the stream');
    console.log(`# alert at ${alert.at} ms, step end at ${ended.at} ms`);
    assert.ok(alert.at < ended.at, `alert at ${alert.at} ms, step end at ${ended.at} ms: the alert came while the step ran`);
    const streamedAlert = stream.events.findIndex((e) => e.event === 'alert');
    assert.ok(streamedAlert >= 0 && streamedAlert < stream.events.findIndex((e) => e.event === 'exit'), 'exec/stream sent the alert before exit');
    assert.ok((exit.data.alerts as { step: number }[]).some((a) => a.step === step));
    events.close();
    stream.close();
  });

  it('a streamed exec whose client goes away is killed, not left running', async () => {
    const id = await create(sandboxesKey, { guardMode: 'monitor' });
    const stream = await d.sse('POST', `/v1/sandboxes/${id}/exec/stream`, { key: sandboxesKey, body: { command: 'echo started; exec sleep 300' } });
    await stream.waitFor((e) => e.event === 'stdout', 10_000);
    const sleeping = async (): Promise<boolean> => {
      const r = await d.call('POST', `/v1/sandboxes/${id}/exec`, { key: sandboxesKey, body: { command: 'cat /proc/[0-9]*/comm 2>/dev/null' } });
      return String(r.json.stdout).split('\n').includes('sleep');
    };
    assert.equal(await sleeping(), true, 'the streamed step runs while its client is there');
    stream.close();
    let still = true;
    for (let i = 0; i < 100 && still; i++) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      still = await sleeping();
    }
    assert.equal(still, false, 'the step was killed within 10 s of its client going away');
  });

  it('runs the environment protocol (reset, step, submit, close) for an envs key', async () => {
    const envs = await d.createKey('envs');
    const made = await d.call('POST', '/v1/envs', { key: envs, body: { task: { id: 't', instruction: 'write ok', setup: ['echo seed > seed.txt'], verifier: 'grep -qx ok out.txt' } } });
    assert.equal(made.status, 201);
    const env = String(made.json.id);
    const reset = await d.call('POST', `/v1/envs/${env}/reset`, { key: envs });
    assert.equal(reset.json.observation, 'write ok');
    const step = await d.call('POST', `/v1/envs/${env}/step`, { key: envs, body: { action: { id: 'c1', name: 'bash', arguments: { command: 'cat seed.txt; echo ok > out.txt' } } } });
    assert.match(String(step.json.observation), /^seed/);
    assert.deepEqual([step.json.reward, step.json.terminated], [0, false]);
    const done = await d.call('POST', `/v1/envs/${env}/step`, { key: envs, body: { action: { name: 'submit' } } });
    assert.deepEqual([done.json.reward, done.json.terminated], [1, true]);
    const episodeId = String((done.json.info as { episodeId: string }).episodeId);
    const episode = await d.call('GET', `/v1/episodes/${episodeId}`, { key: envs });
    assert.equal((episode.json.steps as unknown[]).length, 1);
    assert.equal((await d.call('GET', `/v1/episodes/${episodeId}`, { key: sandboxesKey })).status, 403);
    assert.equal((await d.call('GET', `/v1/episodes/${episodeId}`, { key: await d.createKey('envs') })).status, 404);
    assert.equal((await d.call('POST', `/v1/envs/${env}/reset`, { key: await d.createKey('envs') })).status, 404);
    assert.equal((await d.call('DELETE', `/v1/envs/${env}`, { key: envs })).status, 204);
  });

  it('401 without a key on TCP, 403 for the wrong scope, 429 over quota, 404 for another key\'s sandbox', async () => {
    assert.equal((await d.call('GET', '/v1/sandboxes')).status, 401);
    assert.equal((await d.call('GET', '/v1/sandboxes', { via: 'unix' })).status, 200);
    const reader = await d.createKey('read');
    assert.equal((await d.call('POST', '/v1/sandboxes', { key: reader, body: {} })).status, 403);
    const limited = await d.createKey('sandboxes', ['--max-sandboxes', '1']);
    const mine = await create(limited);
    const over = await d.call('POST', '/v1/sandboxes', { key: limited, body: {} });
    assert.equal(over.status, 429);
    assert.equal(over.json.error?.code, 'quota-exceeded');
    assert.equal((await d.call('GET', `/v1/sandboxes/${mine}`, { key: sandboxesKey })).status, 404);
    assert.equal((await d.call('POST', `/v1/sandboxes/${mine}/exec`, { key: sandboxesKey, body: { command: 'true' } })).status, 404);
    assert.equal((await d.call('DELETE', `/v1/sandboxes/${mine}`, { key: sandboxesKey })).status, 404);
    assert.equal((await d.call('GET', `/v1/sandboxes/${mine}`, { key: admin })).status, 200);
    const revoked = await d.call('GET', '/v1/keys', { key: admin });
    const id = (revoked.json.keys as { id: string; name: string }[]).find((k) => limited.startsWith(`pk_${k.id}_`))?.id ?? '';
    assert.equal((await d.call('DELETE', `/v1/keys/${id}`, { key: admin })).status, 204);
    assert.equal((await d.call('GET', '/v1/sandboxes', { key: limited })).status, 401, 'a revoked key is refused at once');
  });

  it('freeze and thaw: a frozen sandbox refuses execs with 409', async () => {
    const id = await create(sandboxesKey);
    assert.equal((await d.call('POST', `/v1/sandboxes/${id}/freeze`, { key: sandboxesKey })).json.state, 'frozen');
    const refused = await d.call('POST', `/v1/sandboxes/${id}/exec`, { key: sandboxesKey, body: { command: 'true' } });
    assert.deepEqual([refused.status, refused.json.error?.code], [409, 'sandbox-frozen']);
    assert.equal((await d.call('POST', `/v1/sandboxes/${id}/thaw`, { key: sandboxesKey })).json.state, 'running');
    assert.equal((await d.call('POST', `/v1/sandboxes/${id}/exec`, { key: sandboxesKey, body: { command: 'true' } })).json.exitCode, 0);
  });

  it('metrics count sandboxes, execs and alerts; readyz is ready', async () => {
    assert.equal((await d.call('GET', '/readyz')).status, 200);
    const text = (await d.call('GET', '/metrics')).body.toString();
    for (const name of ['praetor_sandboxes_alive', 'praetor_sandboxes_created_total', 'praetor_sandbox_create_seconds_bucket', 'praetor_exec_seconds_bucket', 'praetor_pool_idle_sandboxes', 'praetor_guard_helper_cpu_seconds', 'praetord_process_cpu_seconds_total']) {
      assert.match(text, new RegExp(`^${name}`, 'm'), name);
    }
    assert.match(text, /^praetor_alerts_total\{rule="miner-[a-z-]+",severity="[a-z]+"\} [1-9]/m);
  });

  it('serve on a busy port or with a bad --listen: one line on stderr and a documented exit code', async () => {
    const busy = await runCli(['serve', '--socket', `${d.dir}/second.sock`, '--listen', `127.0.0.1:${d.port}`, '--keys', d.keysPath, '--store', 'memory:', '--pool', '0']);
    assert.equal(busy.code, 69);
    assert.equal(busy.stderr, `praetor: can not listen on 127.0.0.1:${d.port}: the address is in use\n`);
    assert.equal(existsSync(`${d.dir}/second.sock`), false, 'the socket it had bound is removed again');
    const live = await runCli(['serve', '--socket', d.socket, '--keys', d.keysPath, '--store', 'memory:', '--pool', '0']);
    assert.equal(live.code, 69);
    assert.match(live.stderr, /^praetor: can not listen on .*: another daemon answers there\n$/);
    const bad = await runCli(['serve', '--listen', '127.0.0.1']);
    assert.equal(bad.code, 64);
    assert.equal(bad.stderr.split('\n').length, 2, bad.stderr);
  });

  it('logs a JSON line per request with its request id, key, sandbox and step', () => {
    const lines = d.stdout.split('\n').filter((l) => l.includes('"msg":"request"')).map((l) => JSON.parse(l) as Record<string, unknown>);
    const exec = lines.find((l) => typeof l.path === 'string' && l.path.endsWith('/exec') && l.status === 200);
    assert.ok(exec, 'an exec request was logged');
    assert.equal(typeof exec.req, 'string');
    assert.equal(typeof exec.key, 'string');
    assert.match(String(exec.sandbox), /^sb-/);
    assert.equal(typeof exec.step, 'number');
    assert.equal(d.stdout.includes(sandboxesKey), false, 'no key is ever logged');
  });

  it('SIGTERM destroys every sandbox, removes the socket and exits 0', async () => {
    const live = [await create(sandboxesKey), await create(admin)];
    await d.call('POST', `/v1/sandboxes/${live[0] ?? ''}/exec`, { key: sandboxesKey, body: { command: 'sleep 300 & echo started' } });
    const code = await d.stop('SIGTERM');
    assert.equal(code, 0, d.stderr);
    for (const id of created) assert.equal(existsSync(`/run/praetor/sandboxes/${id}.json`), false, `${id} left behind`);
    assert.equal(existsSync(d.socket), false);
    assert.match(d.stdout, /"msg":"stopped"/);
  });
});
