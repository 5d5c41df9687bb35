import { describe, it } from 'node:test';
import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildBait, plantBait } from './bait.js';

describe('bait credentials', () => {
  it('are fresh for every sandbox: no value repeats between two builds', () => {
    const a = buildBait();
    const b = buildBait();
    assert.deepEqual(a.map((f) => f.path), b.map((f) => f.path));
    for (const [i, f] of a.entries()) assert.notEqual(f.content, b[i]?.content, f.path);
    const aws = a.find((f) => f.path === '.aws/credentials')?.content ?? '';
    assert.match(aws, /^\[default\]\naws_access_key_id = AKIA[A-Z2-7]{16}\naws_secret_access_key = \S{40}\n/);
    assert.match(a.find((f) => f.path === '.git-credentials')?.content ?? '', /^https:\/\/dev-[a-z]{6}:ghp_[A-Za-z0-9]{36}@github\.com\n$/);
    const adc = JSON.parse(a.find((f) => f.path.endsWith('application_default_credentials.json'))?.content ?? '{}') as Record<string, string>;
    assert.equal(adc.type, 'authorized_user');
  });

  it('plants an SSH key that ssh-keygen reads as a valid ed25519 key with its .pub half', { skip: !existsSync('/usr/bin/ssh-keygen') && 'no ssh-keygen' }, async () => {
    const home = mkdtempSync(join(tmpdir(), 'bait-'));
    try {
      const planted = await plantBait(home, '/tmp/home', process.getuid?.() ?? 0, process.getgid?.() ?? 0);
      assert.deepEqual(planted.map((p) => p.sandboxPath).sort(), [
        '/tmp/home/.aws/credentials',
        '/tmp/home/.config/gcloud/application_default_credentials.json',
        '/tmp/home/.git-credentials',
        '/tmp/home/.ssh/id_ed25519',
      ]);
      const key = join(home, '.ssh/id_ed25519');
      assert.equal(statSync(key).mode & 0o777, 0o600);
      assert.equal(statSync(join(home, '.ssh')).mode & 0o777, 0o700);
      // ssh-keygen -y derives the public key from the private one (some versions add the comment)
      const derived = execFileSync('ssh-keygen', ['-y', '-f', key], { encoding: 'utf8' }).trim().split(' ').slice(0, 2);
      assert.deepEqual(derived, readFileSync(`${key}.pub`, 'utf8').trim().split(' ').slice(0, 2));
    } finally {
      rmSync(home, { recursive: true, force: true });
    }
  });

  it('never writes over a file that is already there', async () => {
    const home = mkdtempSync(join(tmpdir(), 'bait-'));
    try {
      writeFileSync(join(home, '.git-credentials'), 'mine\n');
      await assert.rejects(plantBait(home, '/tmp/home', process.getuid?.() ?? 0, process.getgid?.() ?? 0), /EEXIST/);
      assert.equal(readFileSync(join(home, '.git-credentials'), 'utf8'), 'mine\n');
    } finally {
      rmSync(home, { recursive: true, force: true });
    }
  });
});
