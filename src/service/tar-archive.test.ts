// Workspace archives: what is refused (absolute paths, "..", escaping links, devices, fifos,
// oversize) and what comes out again (the checked entries, setuid bits dropped, gzip accepted).
import { it } from 'node:test';
import * as assert from 'node:assert/strict';
import { gzipSync } from 'node:zlib';
import { Readable } from 'node:stream';
import * as tar from 'tar-stream';
import { checkArchive, safeEntryPath } from './tar-archive.js';
import { ApiError } from './api-error.js';

type Entry = Partial<tar.Header> & { name: string; body?: string };

async function makeTar(entries: Entry[]): Promise<Buffer> {
  const pack = tar.pack();
  const chunks: Buffer[] = [];
  pack.on('data', (c: unknown) => chunks.push(c as Buffer));
  const done = new Promise<void>((resolve) => pack.on('end', () => resolve()));
  for (const { body, ...header } of entries) pack.entry(header, body ?? '');
  pack.finalize();
  await done;
  return Buffer.concat(chunks);
}

async function entriesOf(data: Buffer): Promise<{ name: string; type: string; mode: number; linkname: string | null; body: string }[]> {
  const out = [];
  const extract = tar.extract();
  Readable.from([data]).pipe(extract);
  for await (const e of extract) {
    const chunks: Buffer[] = [];
    for await (const c of e) chunks.push(c as Buffer);
    out.push({ name: e.header.name, type: e.header.type ?? '', mode: e.header.mode ?? 0, linkname: e.header.linkname ?? null, body: Buffer.concat(chunks).toString() });
  }
  return out;
}

async function refused(entries: Entry[], pattern: RegExp): Promise<void> {
  await assert.rejects(checkArchive(await makeTar(entries)), (err: unknown) => err instanceof ApiError && err.status === 400 && pattern.test(err.message));
}

it('keeps files, directories and links that stay inside, drops setuid bits, accepts gzip', async () => {
  const data = await makeTar([
    { name: 'src/', type: 'directory', mode: 0o755 },
    { name: 'src/main.py', body: 'print(1)\n', mode: 0o4755 },
    { name: 'src/link', type: 'symlink', linkname: 'main.py' },
    { name: 'up', type: 'symlink', linkname: 'src/../src/main.py' },
    { name: './dot/./x', body: 'x' },
  ]);
  for (const input of [data, gzipSync(data)]) {
    const checked = await checkArchive(input);
    assert.equal(checked.entries, 5);
    assert.equal(checked.bytes, 10);
    const out = await entriesOf(checked.tar);
    assert.deepEqual(
      out.map((e) => [e.name, e.type, e.linkname ?? '', e.body]),
      [
        ['src', 'directory', '', ''],
        ['src/main.py', 'file', '', 'print(1)\n'],
        ['src/link', 'symlink', 'main.py', ''],
        ['up', 'symlink', 'src/../src/main.py', ''],
        ['dot/x', 'file', '', 'x'],
      ],
    );
    assert.equal(out[1]?.mode, 0o755, 'setuid dropped');
  }
});

it('refuses absolute paths, "..", escaping links, devices and fifos', async () => {
  await refused([{ name: '/etc/passwd', body: 'x' }], /absolute path/);
  await refused([{ name: '../x', body: 'x' }], /"\.\." component/);
  await refused([{ name: 'a/../../x', body: 'x' }], /"\.\." component/);
  await refused([{ name: 'l', type: 'symlink', linkname: '/etc/shadow' }], /absolute path/);
  await refused([{ name: 'a/l', type: 'symlink', linkname: '../../etc' }], /leaving the archive/);
  await refused([{ name: 'h', type: 'link', linkname: '../outside' }], /leaving the archive/);
  await refused([{ name: 'h', type: 'link', linkname: '/etc/shadow' }], /absolute path/);
  await refused([{ name: 'dev', type: 'character-device', devmajor: 1, devminor: 3 }], /character-device/);
  await refused([{ name: 'blk', type: 'block-device', devmajor: 8, devminor: 0 }], /block-device/);
  await refused([{ name: 'p', type: 'fifo' }], /fifo/);
});

it('refuses archives past the byte or entry limits, and data that is not a tar', async () => {
  const big = await makeTar([{ name: 'a', body: 'x'.repeat(100) }, { name: 'b', body: 'y'.repeat(100) }]);
  await assert.rejects(checkArchive(big, { maxBytes: 150, maxEntries: 10 }), /more than 150 bytes/);
  await assert.rejects(checkArchive(big, { maxBytes: 1000, maxEntries: 1 }), /more than 1 entries/);
  await assert.rejects(checkArchive(Buffer.from('this is not a tar archive at all'.repeat(20))), (e: unknown) => e instanceof ApiError && e.status === 400);
  await assert.rejects(checkArchive(Buffer.from([0x1f, 0x8b, 1, 2, 3])), /gzip/);
  assert.throws(() => safeEntryPath('a\0b'), /NUL/);
});
