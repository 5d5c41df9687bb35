// The conformance suite every SandboxBackend must pass (local today, Kubernetes later): the
// contract of backend.ts checked through the interface only.
import { after, describe, it } from 'node:test';
import * as assert from 'node:assert/strict';
import type { SandboxBackend } from './backend.js';
import { PraetorError } from '../core/errors.js';

export function describeBackendConformance(name: string, makeBackend: () => SandboxBackend): void {
  void describe(`SandboxBackend conformance: ${name}`, () => {
    const backend = makeBackend();
    after(() => backend.close());

    it('exec returns output, exit code and increasing step numbers', async () => {
      const sandbox = await backend.create();
      const a = await sandbox.exec(['sh', '-c', 'echo out; echo err >&2; exit 3']);
      assert.equal(a.stdout.toString(), 'out\n');
      assert.equal(a.stderr.toString(), 'err\n');
      assert.equal(a.exitCode, 3);
      assert.equal(a.timedOut, false);
      const b = await sandbox.exec(['true']);
      assert.equal(b.step, a.step + 1);
      assert.ok(b.durationMs > 0);
    });

    it('passes stdin, streams output, and caps what it keeps', async () => {
      const sandbox = await backend.create();
      const chunks: Buffer[] = [];
      const r = await sandbox.exec(['cat'], { stdin: 'hello\n', onStdout: (c) => chunks.push(c) });
      assert.equal(r.stdout.toString(), 'hello\n');
      assert.equal(Buffer.concat(chunks).toString(), 'hello\n');
      const big = await sandbox.exec(['sh', '-c', 'head -c 100000 /dev/zero'], { maxOutputBytes: 1000 });
      assert.equal(big.stdout.length, 1000);
      assert.equal(big.stdoutTruncated, true);
    });

    it('sets the environment it is given and nothing of the host', async () => {
      process.env.PRAETOR_CONFORMANCE_SECRET = 'host-secret';
      try {
        const sandbox = await backend.create({ env: { FROM_OPTIONS: 'a' } });
        const r = await sandbox.exec(['env'], { env: { FROM_EXEC: 'b' } });
        const env = r.stdout.toString();
        assert.match(env, /^FROM_OPTIONS=a$/m);
        assert.match(env, /^FROM_EXEC=b$/m);
        assert.doesNotMatch(env, /host-secret/);
      } finally {
        delete process.env.PRAETOR_CONFORMANCE_SECRET;
      }
    });

    it('writes and reads files, binary included', async () => {
      const sandbox = await backend.create();
      const data = Buffer.from([0, 1, 2, 255, 10, 13]);
      await sandbox.writeFile('/workspace/sub/dir/data.bin', data);
      assert.deepEqual(await sandbox.readFile('/workspace/sub/dir/data.bin'), data);
      await sandbox.writeFile('/tmp/note.txt', 'note');
      assert.equal((await sandbox.exec(['cat', '/tmp/note.txt'])).stdout.toString(), 'note');
      await assert.rejects(sandbox.readFile('/workspace/missing'), PraetorError);
    });

    it('times out a command and reports it', async () => {
      const sandbox = await backend.create();
      const r = await sandbox.exec(['sleep', '30'], { timeoutMs: 200 });
      assert.equal(r.timedOut, true);
      assert.notEqual(r.exitCode, 0);
    });

    it('attributes background processes to the step that started them', async () => {
      const sandbox = await backend.create();
      await sandbox.exec(['true']);
      const r = await sandbox.exec(['sh', '-c', '(setsid sleep 321 &)']);
      const procs = await sandbox.processes();
      assert.equal(procs.find((p) => p.argv.join(' ') === 'sleep 321')?.step, r.step);
    });

    it('records a denied egress request', async () => {
      const sandbox = await backend.create();
      const r = await sandbox.exec(['sh', '-c', 'curl -s -o /dev/null -w "%{http_code}" http://blocked.invalid/']);
      assert.equal(r.stdout.toString(), '403');
      await sandbox.flushNetworkEvents();
      const denied = sandbox.networkEvents().filter((e) => e.kind === 'proxy-decision' && e.decision === 'denied');
      assert.equal(denied.length, 1);
    });

    it('lists, gets and destroys; destroy is idempotent and final', async () => {
      const sandbox = await backend.create();
      assert.ok(backend.list().some((s) => s.id === sandbox.id));
      assert.equal(backend.get(sandbox.id)?.id, sandbox.id);
      await sandbox.destroy();
      await sandbox.destroy();
      assert.equal(backend.get(sandbox.id), undefined);
      await assert.rejects(sandbox.exec(['true']), (e: unknown) => e instanceof PraetorError && e.code === 'sandbox-not-found');
    });

    it('rejects invalid options with a path and a message', async () => {
      await assert.rejects(backend.create({ memory: 'lots' }), (e: unknown) => {
        return e instanceof PraetorError && e.code === 'invalid-config' && /memory: not a size/.test(e.message);
      });
      await assert.rejects(backend.create({ allowDomains: ['http://x.com/'] }), /allowDomains\.0/);
      await assert.rejects(backend.create({ cpus: -1 }), /cpus/);
    });
  });
}
