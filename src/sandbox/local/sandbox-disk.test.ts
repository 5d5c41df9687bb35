import { describe, it } from 'node:test';
import * as assert from 'node:assert/strict';
import { abandonedTemplate, DiskTemplates, mkfsArgs } from './sandbox-disk.js';

describe('mkfsArgs', () => {
  const args = mkfsArgs('/var/lib/praetor/disk-templates/x.tmp');

  it('formats ext4 without a journal or blocks kept for root, on the file given last', () => {
    assert.equal(args.at(-1), '/var/lib/praetor/disk-templates/x.tmp');
    assert.equal(args[args.indexOf('-O') + 1], '^has_journal');
    assert.equal(args[args.indexOf('-m') + 1], '0');
    assert.ok(args.includes('-F') && args.includes('-q'));
  });

  it('leaves the inode tables for the kernel, so the template stays sparse', () => {
    assert.match(args[args.indexOf('-E') + 1] ?? '', /lazy_itable_init=1/);
  });
});

describe('DiskTemplates', () => {
  it('keeps one template per size', () => {
    const t = new DiskTemplates('/d');
    assert.equal(t.path(2 ** 30), '/d/ext4-1073741824.img');
    assert.notEqual(t.path(2 ** 30), t.path(2 ** 31));
  });
});

describe('abandonedTemplate', () => {
  it('names the half-written template of a dead process only', () => {
    const alive = (pid: number): boolean => pid === 42;
    assert.equal(abandonedTemplate('ext4-1073741824.img.7-0a1b2c3d.tmp', alive), true);
    assert.equal(abandonedTemplate('ext4-1073741824.img.42-0a1b2c3d.tmp', alive), false);
    assert.equal(abandonedTemplate('ext4-1073741824.img', alive), false);
  });
});
