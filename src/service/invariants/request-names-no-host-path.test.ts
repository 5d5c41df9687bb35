// Invariant: no request makes the daemon (root) copy or read a host path. Before praetord, `praetor
// serve` took a task's `workspace` as a host directory to copy into the sandbox, so any local user
// could read /etc/shadow through it. Now every way a body could name a host path is refused, file
// paths stay inside the sandbox, and files are read by the sandbox's own user inside it.
import { after, before, it } from 'node:test';
import * as assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DaemonProcess, type Reply } from '../testing/daemon-process.js';

let d: DaemonProcess;
let secretDir: string;
const SECRET = `host-secret-${process.pid}-${Date.now()}`;
const replies: Reply[] = [];

before(async () => {
  if (process.getuid?.() !== 0) throw new Error('needs root (CI runs as root)');
  secretDir = mkdtempSync(join(tmpdir(), 'praetor-secret-'));
  writeFileSync(join(secretDir, 'shadow'), `${SECRET}\n`, { mode: 0o600 });
  d = await DaemonProcess.start(['--pool', '0']);
});
after(async () => {
  if (d) {
    await d.stop();
    d.cleanup();
  }
  rmSync(secretDir, { recursive: true, force: true });
});

async function call(...args: Parameters<DaemonProcess['call']>): Promise<Reply> {
  const r = await d.call(...args);
  replies.push(r);
  return r;
}

it('a task or a sandbox naming a host workspace is refused before anything is created', async () => {
  const key = await d.createKey('admin');
  const bodies: [string, unknown][] = [
    ['/v1/sandboxes', { workspace: secretDir }],
    ['/v1/envs', { task: { id: 't', instruction: 'read it', workspace: secretDir } }],
    ['/v1/envs', { task: { id: 't', instruction: 'read it', sandbox: { workspace: secretDir } } }],
  ];
  for (const [path, body] of bodies) {
    const r = await call('POST', path, { key, body });
    assert.equal(r.status, 400, `${path} ${JSON.stringify(body)}: ${r.body.toString()}`);
    assert.match(r.json.error?.message ?? '', /workspace/);
  }
  assert.deepEqual((await call('GET', '/v1/sandboxes', { key })).json.sandboxes, []);
});

it('file paths stay inside the sandbox, and a planted link reads the sandbox, never the host', async () => {
  const key = await d.createKey('sandboxes');
  const made = await call('POST', '/v1/sandboxes', { key, body: {} });
  const id = String(made.json.id);
  // The secret's own path is under /tmp: that names the sandbox's /tmp, where it does not exist.
  assert.equal((await call('GET', `/v1/sandboxes/${id}/files?path=${encodeURIComponent(join(secretDir, 'shadow'))}`, { key })).status, 404);
  for (const path of ['/etc/shadow', '/workspace/../etc/shadow', '../../etc/shadow', '/proc/1/environ']) {
    const r = await call('GET', `/v1/sandboxes/${id}/files?path=${encodeURIComponent(path)}`, { key });
    assert.equal(r.status, 400, path);
    assert.equal(r.json.error?.code, 'invalid-path');
  }
  // The agent plants links to host paths in its workspace; reading them runs `cat` as the
  // sandbox's user inside the sandbox, where the host directory does not exist.
  await call('POST', `/v1/sandboxes/${id}/exec`, { key, body: { command: `ln -s ${join(secretDir, 'shadow')} host-link; ln -s /etc/shadow shadow-link` } });
  const viaLink = await call('GET', `/v1/sandboxes/${id}/files?path=host-link`, { key });
  assert.equal(viaLink.status, 404);
  const shadow = await call('GET', `/v1/sandboxes/${id}/files?path=shadow-link`, { key });
  assert.notEqual(shadow.status, 200, 'the sandbox user can not read /etc/shadow');
  const archive = await call('GET', `/v1/sandboxes/${id}/archive?path=/workspace`, { key });
  assert.equal(archive.status, 200);
  for (const r of replies) assert.equal(r.body.includes(SECRET), false, 'the host secret reached a client');
});
