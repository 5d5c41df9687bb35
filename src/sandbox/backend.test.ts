import { describe, it } from 'node:test';
import * as assert from 'node:assert/strict';
import { SandboxOptionsSchema } from './backend.js';

describe('SandboxOptionsSchema disk', () => {
  it('defaults to 1 GiB and takes sizes as --memory does', () => {
    assert.equal(SandboxOptionsSchema.parse({}).disk, 2 ** 30);
    assert.equal(SandboxOptionsSchema.parse({ disk: '256m' }).disk, 256 * 2 ** 20);
    assert.equal(SandboxOptionsSchema.parse({ disk: 2 ** 32 }).disk, 2 ** 32);
  });

  it('refuses a disk too small for a filesystem, too large, or not a size', () => {
    for (const disk of ['1m', '2t', 'lots', 0]) {
      const r = SandboxOptionsSchema.safeParse({ disk });
      assert.equal(r.success, false, String(disk));
      assert.deepEqual(r.error?.issues.map((i) => i.path.join('.')), ['disk']);
    }
  });
});
