// Invariant: a workspace copied into a sandbox holds only directories, files and symlinks; one with
// a device, fifo or socket makes create fail with a one-line error, instead of the device's content
// (or a read that never ends) being copied in.
import { after, before, it } from 'node:test';
import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, symlinkSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { newBackend, sh } from './harness.js';
import { PraetorError } from '../../core/errors.js';

const backend = newBackend();
let root = '';
before(() => {
  root = mkdtempSync(join(tmpdir(), 'praetor-ws-'));
});
after(async () => {
  await backend.close();
  rmSync(root, { recursive: true, force: true });
});

function workspaceWith(name: string, make: (path: string) => unknown): string {
  const dir = join(root, name);
  mkdirSync(join(dir, 'src'), { recursive: true });
  writeFileSync(join(dir, 'src', 'main.c'), 'int main(void) { return 0; }\n');
  make(join(dir, 'src', 'special'));
  return dir;
}

const SPECIALS: [string, string, (path: string) => unknown][] = [
  ['character device', 'chr', (p) => execFileSync('mknod', [p, 'c', '1', '3'])], // /dev/null's numbers
  ['block device', 'blk', (p) => execFileSync('mknod', [p, 'b', '7', '200'])],
  ['fifo', 'fifo', (p) => execFileSync('mkfifo', [p])],
  // a unix socket's file outlives the socket
  ['socket', 'sock', (p) => execFileSync('python3', ['-c', `import socket; socket.socket(socket.AF_UNIX).bind(${JSON.stringify(p)})`])],
];

for (const [kind, name, make] of SPECIALS) {
  it(`a workspace holding a ${kind} is refused`, async () => {
    const dir = workspaceWith(name, make);
    await assert.rejects(backend.create({ workspace: dir }), (err: unknown) => {
      assert.ok(err instanceof PraetorError, String(err));
      assert.equal(err.code, 'invalid-config');
      assert.equal(err.message, `workspace ${dir}: src/special is a ${kind}; a workspace may hold only directories, files and symlinks`);
      return true;
    });
    assert.deepEqual(backend.list(), []);
  });
}

it('a workspace of files, directories and symlinks is copied, links as links', async () => {
  const dir = workspaceWith('plain', (p) => symlinkSync('/etc/shadow', p));
  const sandbox = await backend.create({ workspace: dir });
  const r = await sh(sandbox, 'cat src/main.c; readlink src/special; cat src/special 2>/dev/null || echo unreadable');
  assert.equal(r.out, 'int main(void) { return 0; }\n/etc/shadow\nunreadable\n');
});
