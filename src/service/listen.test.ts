// Where the daemon listens: --listen parsing, a busy port and a bad host as typed one-line
// errors (no unhandled 'error' event), a live socket refused, a stale one replaced, mode 0600.
import { it } from 'node:test';
import * as assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PraetorError } from '../core/errors.js';
import { listenTcp, listenUnix, parseListen } from './listen.js';

const code = (c: string) => (err: unknown) => err instanceof PraetorError && err.code === c && !err.message.includes('\n');

it('parses HOST:PORT and [V6]:PORT, and refuses the rest as usage errors', () => {
  assert.deepEqual(parseListen('127.0.0.1:8700'), { host: '127.0.0.1', port: 8700 });
  assert.deepEqual(parseListen('[::1]:0'), { host: '::1', port: 0 });
  assert.deepEqual(parseListen('localhost:80'), { host: 'localhost', port: 80 });
  for (const bad of ['8700', '127.0.0.1', '127.0.0.1:70000', ':80', 'a b:1', '[zz]:1', '1.2.3.4:-1']) assert.throws(() => parseListen(bad), code('usage'), bad);
});

it('a busy port and a host that is not local are one-line errors', async () => {
  const first = createServer();
  const { port } = await listenTcp(first, { host: '127.0.0.1', port: 0 });
  try {
    await assert.rejects(listenTcp(createServer(), { host: '127.0.0.1', port }), (e: unknown) => code('host-unsupported')(e) && /in use/.test((e as Error).message));
    await assert.rejects(listenTcp(createServer(), { host: '192.0.2.1', port: 0 }), code('usage'));
  } finally {
    first.close();
  }
});

it('a unix socket is 0600; a live one is refused, a stale one replaced, a plain file left alone', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'praetor-listen-'));
  try {
    const path = join(dir, 'run', 'd.sock');
    const live = createServer();
    await listenUnix(live, path);
    assert.equal(statSync(path).mode & 0o777, 0o600);
    await assert.rejects(listenUnix(createServer(), path), (e: unknown) => code('host-unsupported')(e) && /another daemon/.test((e as Error).message));
    await new Promise<void>((resolve) => live.close(() => resolve()));
    // a daemon killed with -9 leaves its socket file behind, with nobody listening
    const dead = spawn(process.execPath, ['-e', `require('net').createServer().listen(${JSON.stringify(path)}, () => console.log('up'))`]);
    await new Promise((resolve) => dead.stdout.once('data', resolve));
    dead.kill('SIGKILL');
    await new Promise((resolve) => dead.once('exit', resolve));
    assert.equal(statSync(path).isSocket(), true);
    const next = createServer();
    await listenUnix(next, path);
    assert.equal(statSync(path).mode & 0o777, 0o600);
    await new Promise<void>((resolve) => next.close(() => resolve()));
    writeFileSync(join(dir, 'plain'), 'x');
    await assert.rejects(listenUnix(createServer(), join(dir, 'plain')), (e: unknown) => code('host-unsupported')(e) && /not a socket/.test((e as Error).message));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
