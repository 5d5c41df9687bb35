// Invariant: the daemon's unix socket (where a request without a key acts as admin) is owned by
// root with mode 0600: another local user can not connect, even where the directory lets them in.
import { after, before, it } from 'node:test';
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, statSync } from 'node:fs';
import { DaemonProcess } from '../testing/daemon-process.js';

let d: DaemonProcess;
before(async () => {
  if (process.getuid?.() !== 0) throw new Error('needs root (CI runs as root)');
  d = await DaemonProcess.start(['--pool', '0']);
});
after(async () => {
  if (!d) return;
  await d.stop();
  d.cleanup();
});

it('the socket is root 0600; nobody is refused by the kernel; root gets the implicit admin', async () => {
  const st = statSync(d.socket);
  assert.equal(st.isSocket(), true);
  assert.equal(st.uid, 0);
  assert.equal(st.mode & 0o777, 0o600);
  chmodSync(d.dir, 0o755); // the directory is open: only the socket's own mode stands in the way
  const probe = `require('net').connect(${JSON.stringify(d.socket)}).on('connect', () => { console.log('connected'); process.exit(0); }).on('error', (e) => { console.log(e.code); process.exit(0); })`;
  const asNobody = spawnSync('setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', process.execPath, '-e', probe], { encoding: 'utf8' });
  assert.equal(asNobody.status, 0, asNobody.stderr);
  assert.equal(asNobody.stdout.trim(), 'EACCES');
  const asRoot = await d.call('GET', '/v1/keys', { via: 'unix' });
  assert.equal(asRoot.status, 200, 'root on the socket acts as the admin');
});
