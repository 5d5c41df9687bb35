// Invariant: a sandbox's /workspace and /tmp share a disk of its `disk` size; writing past it fails
// with ENOSPC inside, and the host's filesystem loses no more than that size.
import { after, it } from 'node:test';
import * as assert from 'node:assert/strict';
import { statfs } from 'node:fs/promises';
import { newBackend, sh } from './harness.js';
import { defaultHostPaths } from '../local/host-paths.js';

const backend = newBackend();
after(() => backend.close());

const MiB = 2 ** 20;

// Writes 1 MiB blocks until the kernel refuses one or CAP is reached (so that, where there is no
// limit, the test itself takes at most CAP of the host's disk), then says why it stopped.
const FILL = String.raw`
import errno, os, sys
path, cap = sys.argv[1], int(sys.argv[2])
written, why = 0, 'cap'
block = b'x' * 2**20
try:
    with open(path, 'wb') as f:
        while written < cap:
            f.write(block)
            f.flush()
            os.fsync(f.fileno())
            written += len(block)
except OSError as e:
    why = errno.errorcode.get(e.errno, str(e.errno))
print(written, why)
`;

async function hostFree(): Promise<number> {
  const s = await statfs(defaultHostPaths().dataDir);
  return s.bavail * s.bsize;
}

function fill(out: string): { written: number; why: string } {
  const [written = '', why = ''] = out.trim().split(' ');
  return { written: Number(written), why };
}

it('writing past the disk limit fails with ENOSPC in /workspace and /tmp alike; the host keeps its space', async () => {
  const sandbox = await backend.create({ disk: '64m', memory: '512m' });
  const before = await hostFree();
  const ws = await sandbox.exec(['python3', '-c', FILL, '/workspace/fill', String(256 * MiB)]);
  assert.equal(ws.exitCode, 0, ws.stderr.toString());
  const first = fill(ws.stdout.toString());
  assert.equal(first.why, 'ENOSPC', `wrote ${first.written} bytes to /workspace without ENOSPC`);
  assert.ok(first.written <= 64 * MiB && first.written >= 48 * MiB, `wrote ${first.written}`);
  // /tmp is on the same disk: it is full too.
  const tmp = await sandbox.exec(['python3', '-c', FILL, '/tmp/fill', String(256 * MiB)]);
  assert.equal(fill(tmp.stdout.toString()).why, 'ENOSPC');
  const used = before - (await hostFree());
  // Other processes write to the host's disk meanwhile; 16 MiB of slack above the limit covers them.
  assert.ok(used < 80 * MiB, `the host lost ${(used / MiB).toFixed(1)} MiB`);
  // Freeing space inside makes room again: an ordinary filesystem, not a one-way counter.
  const again = await sh(sandbox, 'rm /workspace/fill && echo ok > /tmp/after && cat /tmp/after');
  assert.equal(again.out.trim(), 'ok', again.err);
  // Destroying the sandbox gives the host its space back: the image has no name, so the kernel frees
  // it once the loop device lets go, moments after destroy returns.
  await sandbox.destroy();
  let missing = before - (await hostFree());
  for (let i = 0; i < 100 && missing >= 16 * MiB; i++) {
    await new Promise((resolve) => setTimeout(resolve, 100));
    missing = before - (await hostFree());
  }
  assert.ok(missing < 16 * MiB, `10 s after destroy the host still misses ${(missing / MiB).toFixed(1)} MiB`);
});

it('a sandbox gets 1 GiB by default, of its own', async () => {
  const sandbox = await backend.create();
  assert.equal(sandbox.info().options.disk, 2 ** 30);
  const df = await sh(sandbox, 'stat -f -c "%b %S" /workspace; stat -f -c "%b %S" /tmp; stat -f -c "%b %S" /');
  const [ws, tmp, root] = df.out.trim().split('\n').map((l) => l.split(' ').map(Number).reduce((a, b) => a * b));
  assert.ok(ws !== undefined && ws > 0.9 * 2 ** 30 && ws <= 2 ** 30, `/workspace holds ${ws} bytes`);
  assert.equal(tmp, ws);
  assert.notEqual(root, ws);
});
