// The fake registry answers npm's two requests (metadata, tarball) consistently: the tarball's
// integrity is the one the metadata announces.
import * as assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { it } from 'node:test';
import { createNpmRegistry, packNpmPackage } from './npm-registry.js';

it('serves metadata whose tarball URL and integrity match the tarball it serves', async () => {
  const requests: string[] = [];
  const app = createNpmRegistry([await packNpmPackage({ name: 'tiny-pad', version: '1.0.0', files: { 'index.js': '//\n' } })], {
    registryUrl: 'http://registry.example.test/',
    onRequest: (p) => requests.push(p),
  });
  const meta = (await (await app.request('/tiny-pad')).json()) as {
    versions: Record<string, { dist: { tarball: string; integrity: string } }>;
  };
  const dist = meta.versions['1.0.0']?.dist;
  assert.equal(dist?.tarball, 'http://registry.example.test/tiny-pad/-/tiny-pad-1.0.0.tgz');
  const tgz = Buffer.from(await (await app.request('/tiny-pad/-/tiny-pad-1.0.0.tgz')).arrayBuffer());
  assert.equal(dist?.integrity, `sha512-${createHash('sha512').update(tgz).digest('base64')}`);
  assert.equal((await app.request('/nope')).status, 404);
  assert.equal((await app.request('/tiny-pad/-/tiny-pad-9.9.9.tgz')).status, 404);
  assert.deepEqual(requests, ['/tiny-pad', '/tiny-pad/-/tiny-pad-1.0.0.tgz', '/nope', '/tiny-pad/-/tiny-pad-9.9.9.tgz']);
});
