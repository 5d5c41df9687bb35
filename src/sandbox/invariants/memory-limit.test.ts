// Invariant: the memory limit kills a hog inside the sandbox and leaves the host (and praetor) unharmed.
import { after, it } from 'node:test';
import * as assert from 'node:assert/strict';
import { newBackend } from './harness.js';

const backend = newBackend();
after(() => backend.close());

it('a process allocating past the limit is OOM-killed; the sandbox and host go on', async () => {
  const sandbox = await backend.create({ memory: '96m' });
  const hog = await sandbox.exec([
    'python3',
    '-c',
    'chunks = []\nfor i in range(64):\n    chunks.append(bytearray(16 * 2**20))\nprint("allocated 1 GiB")',
  ]);
  assert.equal(hog.signal ?? (hog.exitCode === 137 ? 'SIGKILL' : null), 'SIGKILL', `hog exit ${hog.exitCode} ${hog.signal} ${hog.stdout.toString()}`);
  assert.doesNotMatch(hog.stdout.toString(), /allocated/);
  // same sandbox still works, and so does praetor
  const after = await sandbox.exec(['echo', 'alive']);
  assert.equal(after.stdout.toString().trim(), 'alive');
  assert.ok(process.memoryUsage().rss < 1024 * 2 ** 20);
  // a process under the limit is fine
  const small = await sandbox.exec(['python3', '-c', 'b = bytearray(32 * 2**20); print(len(b))']);
  assert.equal(small.exitCode, 0, small.stderr.toString());
});
