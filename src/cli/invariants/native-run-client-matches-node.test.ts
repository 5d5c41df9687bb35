// The `praetor` command's native client (native/praetor-run, started by bin/praetor for `run`)
// prints what the node CLI prints and exits as it does: the same stdout bytes, stderr lines and
// exit code for plain, failing, killed, interleaving, alerting and binary commands through a real
// praetord, and by handing off to node for what it does not serve (a praetor flag, no daemon, an
// unreachable PRAETOR_HOST). Where it should serve the run itself, PRAETOR_NODE names no program:
// a hand-off there would fail the run. Needs root (the daemon makes real sandboxes).
import * as assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, openSync, closeSync, readFileSync, rmSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { startPraetord, type PraetordProcess } from '../../testing/praetord-process.js';

const LAUNCHER = fileURLToPath(new URL('../../../bin/praetor', import.meta.url));
const NATIVE = fileURLToPath(new URL('../../../native/build/praetor-run', import.meta.url));
const NO_NODE = '/nonexistent/node';

let daemon: PraetordProcess;
let dir: string;

before(async () => {
  daemon = await startPraetord();
  dir = mkdtempSync(join(tmpdir(), 'praetor-native-run-'));
});

after(async () => {
  rmSync(dir, { recursive: true, force: true });
  assert.equal(await daemon.stop(), 0, daemon.stderr());
});

interface Outcome {
  code: number | null;
  stdout: Buffer;
  stderr: string;
  /** stdout and stderr through one pipe, in the order they were written. */
  merged?: Buffer;
}

/** `praetor ARGS` through bin/praetor; `native: false` forces the node CLI (PRAETOR_NATIVE_CLIENT=0). */
async function praetor(args: readonly string[], env: Record<string, string>, native: boolean, merge = false): Promise<Outcome> {
  const full = { PATH: process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin', ...env, PRAETOR_NATIVE_CLIENT: native ? '1' : '0' };
  if (merge) {
    const file = join(dir, `merged-${native}`);
    const fd = openSync(file, 'w');
    const child = spawn(LAUNCHER, args, { env: full, stdio: ['ignore', fd, fd] });
    closeSync(fd);
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    return { code, stdout: Buffer.alloc(0), stderr: '', merged: readFileSync(file) };
  }
  const child = spawn(LAUNCHER, args, { env: full, stdio: ['ignore', 'pipe', 'pipe'] });
  const out: Buffer[] = [];
  let stderr = '';
  child.stdout.on('data', (c: Buffer) => out.push(c));
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  return { code, stdout: Buffer.concat(out), stderr };
}

/** Pids differ from run to run; the rest of an alert line must not. */
const normal = (stderr: string): string => stderr.replace(/pid \d+/g, 'pid N');

/** Runs ARGS both ways: the native run must not start node (it may not hand off), and must match. */
async function same(args: readonly string[], env: Record<string, string>, opts: { handsOff?: boolean; merge?: boolean } = {}): Promise<Outcome> {
  const viaNode = await praetor(args, env, false, opts.merge);
  const viaNative = await praetor(args, opts.handsOff ? env : { ...env, PRAETOR_NODE: NO_NODE }, true, opts.merge);
  assert.equal(viaNative.code, viaNode.code, `exit code: native ${viaNative.stderr} / node ${viaNode.stderr}`);
  assert.deepEqual(viaNative.stdout, viaNode.stdout, `stdout: ${viaNative.stdout.toString()} / ${viaNode.stdout.toString()}`);
  assert.equal(normal(viaNative.stderr), normal(viaNode.stderr));
  if (opts.merge) assert.deepEqual(viaNative.merged, viaNode.merged, `merged: ${String(viaNative.merged)} / ${String(viaNode.merged)}`);
  return viaNative;
}

describe('praetor run: the native client and the node CLI agree', () => {
  it('is built (scripts/build-native.mjs; quick start and CI require it)', () => {
    assert.ok(existsSync(NATIVE), `${NATIVE} is missing: install g++ libcurl4-openssl-dev nlohmann-json3-dev and rebuild`);
  });

  it('a plain, a failing and a killed command', async () => {
    const env = { PRAETOR_SOCKET: daemon.socketPath };
    const plain = await same(['run', '--', 'echo', 'hello', 'there'], env);
    assert.deepEqual([plain.code, plain.stdout.toString()], [0, 'hello there\n']);
    const plainNoDashes = await same(['run', 'echo', 'hi'], env);
    assert.equal(plainNoDashes.stdout.toString(), 'hi\n');
    const failing = await same(['run', '--', 'sh', '-c', 'echo bad >&2; exit 3'], env);
    assert.deepEqual([failing.code, failing.stderr], [3, 'bad\n']);
    const killed = await same(['run', '--', 'sh', '-c', 'kill -9 $$'], env);
    assert.equal(killed.code, 128 + 9);
    const long = 'x'.repeat(8000); // a body past libcurl's Expect: 100-continue threshold
    assert.equal((await same(['run', '--', 'echo', long], env)).stdout.toString(), `${long}\n`);
  });

  it('leaves on SIGTERM with 130, as the node CLI does', async () => {
    for (const native of [true, false]) {
      const env = { PATH: process.env.PATH ?? '/usr/bin:/bin', PRAETOR_SOCKET: daemon.socketPath, PRAETOR_NATIVE_CLIENT: native ? '1' : '0', ...(native ? { PRAETOR_NODE: NO_NODE } : {}) };
      const child = spawn(LAUNCHER, ['run', '--', 'sh', '-c', 'echo started; sleep 60'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
      await new Promise<void>((resolve) => child.stdout.once('data', () => resolve()));
      child.kill('SIGTERM');
      const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
      assert.equal(code, 130, `native ${native}`);
    }
  });

  it('stdout and stderr interleaved through one pipe, and binary bytes', async () => {
    const env = { PRAETOR_SOCKET: daemon.socketPath };
    const script = 'echo o1; sleep 0.1; echo e1 >&2; sleep 0.1; echo o2; sleep 0.1; echo e2 >&2';
    const merged = await same(['run', '--', 'sh', '-c', script], env, { merge: true });
    assert.equal(merged.merged?.toString(), 'o1\ne1\no2\ne2\n');
    const binary = await same(['run', '--', 'printf', '\\000\\001\\377\\200text\\n'], env);
    assert.deepEqual(binary.stdout, Buffer.from([0, 1, 0xff, 0x80, ...Buffer.from('text\n')]), 'the exact bytes, as the in-process run writes them');
  });

  it('an alert raised by the step: the same praetor: ALERT line', async () => {
    const r = await same(['run', '--', 'sh', '-c', 'cat ~/.ssh/id_rsa >/dev/null 2>&1; echo read'], { PRAETOR_SOCKET: daemon.socketPath });
    assert.equal(r.stdout.toString(), 'read\n');
    assert.match(r.stderr, /^praetor: ALERT \[high\] \S+ ssh-private-key-read \(step 1, pid \d+\)/m);
  });

  it('over TCP with the bearer key in PRAETOR_API_KEY', async () => {
    const { key } = await daemon.createKey('native-run', { scope: 'sandboxes' });
    // a proxy in the environment is not used (node's client ignores it; libcurl would not)
    const r = await same(['run', '--', 'sh', '-c', 'echo tcp; exit 4'], { PRAETOR_HOST: daemon.url, PRAETOR_API_KEY: key, http_proxy: 'http://127.0.0.1:9', ALL_PROXY: 'http://127.0.0.1:9' });
    assert.deepEqual([r.code, r.stdout.toString()], [4, 'tcp\n']);
    // a wrong key: refused before the run, so the node CLI says it (one line, exit 77)
    const wrong = await same(['run', '--', 'true'], { PRAETOR_HOST: daemon.url, PRAETOR_API_KEY: 'pk_x_y' }, { handsOff: true });
    assert.equal(wrong.code, 77, wrong.stderr);
  });

  it('hands off to node: a praetor flag, no daemon (runs here), a PRAETOR_HOST that does not answer', async () => {
    const flag = await same(['run', '--bogus', '--', 'true'], { PRAETOR_SOCKET: daemon.socketPath }, { handsOff: true });
    assert.equal(flag.code, 64);
    // --json: the node CLI's result either way (each run its own sandbox id and duration)
    const results = await Promise.all(
      [false, true].map(async (native) => {
        const r = await praetor(['run', '--json', '--', 'echo', 'j'], { PRAETOR_SOCKET: daemon.socketPath }, native);
        const { sandboxId, durationMs, ...rest } = JSON.parse(r.stdout.toString()) as Record<string, unknown>;
        assert.match(String(sandboxId), /^sb-/);
        assert.equal(typeof durationMs, 'number');
        return [r.code, rest];
      }),
    );
    assert.deepEqual(results[1], results[0]);
    assert.deepEqual(results[0], [0, { step: 1, exitCode: 0, signal: null, stdout: 'j\n', stderr: '', stdoutTruncated: false, stderrTruncated: false, timedOut: false, alerts: [], actions: [] }]);
    const local = await same(['run', '--', 'echo', 'local'], { PRAETOR_SOCKET: join(dir, 'missing.sock') }, { handsOff: true });
    assert.deepEqual([local.code, local.stdout.toString()], [0, 'local\n']);
    // a socket left by a killed daemon: the native client's connection is refused, node runs it here
    const stale = join(dir, 'stale.sock');
    execFileSync('python3', ['-c', `import socket; socket.socket(socket.AF_UNIX).bind(${JSON.stringify(stale)})`]);
    assert.ok(existsSync(stale));
    const refused = await same(['run', '--', 'echo', 'stale'], { PRAETOR_SOCKET: stale }, { handsOff: true });
    assert.deepEqual([refused.code, refused.stdout.toString()], [0, 'stale\n']);
    const nowhere = await same(['run', '--', 'true'], { PRAETOR_HOST: 'unix:/nonexistent/praetord.sock' }, { handsOff: true });
    assert.equal(nowhere.code, 69);
    assert.equal(nowhere.stderr.trim().split('\n').length, 1, nowhere.stderr);
  });

  it('the check that node was not started can fail: a hand-off with PRAETOR_NODE naming nothing fails', async () => {
    const r = await praetor(['run', '--bogus', '--', 'true'], { PRAETOR_SOCKET: daemon.socketPath, PRAETOR_NODE: NO_NODE }, true);
    assert.equal(r.code, 69);
    assert.match(r.stderr, /^praetor: cannot start the node CLI/);
  });
});
