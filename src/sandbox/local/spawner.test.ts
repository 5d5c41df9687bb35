// The native spawner, run directly (no sandbox, no root): what it starts gets exactly the stdin,
// env, fds and signal state it is given, and every outcome reaches praetor.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { endianness } from 'node:os';
import { after, describe, it } from 'node:test';
import * as assert from 'node:assert/strict';
import { defaultHostPaths } from './host-paths.js';
import { Spawner, spawnerPathFor, type SpawnHandlers } from './spawner.js';

interface Outcome {
  pid: number | null;
  stdout: string;
  stderr: string;
  eofs: string[];
  code: number | null;
  signal: string | null;
  error: NodeJS.ErrnoException | null;
}

function run(spawner: Spawner, argv: string[], options: { env?: Record<string, string>; stdin?: string | Buffer } = {}): Promise<Outcome> {
  return new Promise((resolve) => {
    const o: Outcome = { pid: null, stdout: '', stderr: '', eofs: [], code: null, signal: null, error: null };
    let exited = false;
    const maybeDone = (): void => {
      if (exited && o.eofs.length === 2) resolve(o);
    };
    const handlers: SpawnHandlers = {
      onStarted: (pid) => (o.pid = pid),
      onData: (stream, chunk) => (o[stream] += chunk.toString()),
      onEof: (stream) => {
        o.eofs.push(stream);
        maybeDone();
      },
      onExit: (code, signal) => {
        o.code = code;
        o.signal = signal;
        exited = true;
        maybeDone();
      },
      onError: (err) => {
        o.error = err;
        resolve(o);
      },
    };
    spawner.spawn(argv, options.env ?? { PATH: '/usr/bin:/bin' }, Buffer.from(options.stdin ?? ''), handlers);
  });
}

describe('praetor-spawner', () => {
  const spawner = new Spawner(spawnerPathFor(defaultHostPaths().helperPath));
  after(() => spawner.close());

  it('runs a command with its stdin and reports output, EOFs and the exit code', async () => {
    const o = await run(spawner, ['/bin/sh', '-c', 'cat; echo err >&2; exit 3'], { stdin: 'hello\n' });
    assert.equal(o.error, null);
    assert.ok(o.pid !== null && o.pid > 0);
    assert.deepEqual([o.stdout, o.stderr, o.code, o.signal], ['hello\n', 'err\n', 3, null]);
    assert.deepEqual(o.eofs.sort(), ['stderr', 'stdout']);
  });

  it('passes large input and output through whole', async () => {
    const input = Buffer.alloc(3 * 2 ** 20, 'abcdefgh');
    const o = await run(spawner, ['/bin/cat'], { stdin: input });
    assert.equal(o.stdout.length, input.length);
    assert.equal(o.stdout, input.toString());
  });

  it('reports death by a signal', async () => {
    const o = await run(spawner, ['/bin/sh', '-c', 'kill -TERM $$']);
    assert.deepEqual([o.code, o.signal], [null, 'SIGTERM']);
  });

  it('gives the command exactly the env it was given', async () => {
    const o = await run(spawner, ['/usr/bin/env'], { env: { ONLY: 'this', AND: 'that=1' } });
    assert.deepEqual(o.stdout.trim().split('\n').sort(), ['AND=that=1', 'ONLY=this']);
  });

  it('starts the command with default signals and none of the spawner\'s descriptors', async () => {
    const status = await run(spawner, ['/bin/cat', '/proc/self/status']);
    for (const field of ['SigBlk', 'SigIgn']) assert.match(status.stdout, new RegExp(`^${field}:\\s+0+$`, 'm'));
    // a command running while another holds its pipes sees only its own 0-2 (+ ls's directory)
    const busy = run(spawner, ['/bin/sleep', '0.3']);
    const fds = await run(spawner, ['/bin/ls', '/proc/self/fd']);
    assert.deepEqual(fds.stdout.trim().split('\n').map(Number).sort(), [0, 1, 2, 3]);
    await busy;
  });

  it('stdin closes even when the command never reads it', async () => {
    const o = await run(spawner, ['/bin/true'], { stdin: Buffer.alloc(2 ** 20) });
    assert.deepEqual([o.code, o.error], [0, null]);
  });

  it('reports a command that can not be started', async () => {
    const o = await run(spawner, ['/nonexistent/praetor-test']);
    assert.equal(o.error?.code, 'ENOENT');
  });

  it('fails what is in flight when the spawner dies, and starts afresh for the next exec', async () => {
    const own = new Spawner(spawnerPathFor(defaultHostPaths().helperPath));
    try {
      const pending = run(own, ['/bin/sleep', '2']);
      await new Promise((r) => setTimeout(r, 50));
      const pid = (own as unknown as { child: { pid: number } }).child.pid;
      process.kill(pid, 'SIGKILL');
      const o = await pending;
      assert.match(String(o.error), /praetor-spawner exited/);
      const next = await run(own, ['/bin/echo', 'again']);
      assert.equal(next.stdout, 'again\n');
    } finally {
      own.close();
    }
  });

  it('refuses a frame that counts more strings than it holds (a count that would wrap)', async () => {
    const child = spawn(spawnerPathFor(defaultHostPaths().helperPath), [], { stdio: ['pipe', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    // EXEC: argc 2, envc 0xffffffff, no stdin, then a single string
    const body = Buffer.concat([u32s([2, 0xffff_ffff, 0]), Buffer.from('/bin/true\0')]);
    child.stdin.write(Buffer.concat([u32s([5 + body.length]), Buffer.from([1]), u32s([1]), body]));
    const [code] = (await once(child, 'exit')) as [number | null];
    assert.equal(code, 125);
    assert.match(stderr, /malformed EXEC request 1/);
  });

  it('will not serve a sandbox whose init is not the process it was told of', async () => {
    // this test's own pid, with a start time it never had: a pid that now names another process
    const own = new Spawner(spawnerPathFor(defaultHostPaths().helperPath), ['--target', String(process.pid), '--start-time', '1', '--uid', '1000', '--gid', '1000']);
    try {
      const o = await new Promise<NodeJS.ErrnoException | null>((resolve) => {
        own.spawn(['true'], { PATH: '/usr/bin:/bin' }, Buffer.alloc(0), {
          onStarted: () => undefined,
          onData: () => undefined,
          onEof: () => undefined,
          onExit: () => resolve(null),
          onError: (err) => resolve(err),
        }, { cwd: '/', cgroups: [] });
      });
      assert.match(String(o), /the sandbox init \d+ is gone \(its pid names another process\)/);
    } finally {
      own.close();
    }
  });
});

/** u32s in host byte order, as the spawner's frames are. */
function u32s(values: readonly number[]): Buffer {
  const b = Buffer.alloc(values.length * 4);
  values.forEach((v, i) => (endianness() === 'LE' ? b.writeUInt32LE(v, i * 4) : b.writeUInt32BE(v, i * 4)));
  return b;
}
