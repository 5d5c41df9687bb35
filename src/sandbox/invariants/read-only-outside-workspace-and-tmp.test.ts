// Invariant: nothing outside /workspace and /tmp is writable (the private /dev tmpfs aside).
import { after, it } from 'node:test';
import * as assert from 'node:assert/strict';
import { newBackend, sh } from './harness.js';

const backend = newBackend();
after(() => backend.close());

const PROBE = String.raw`
import os
writable, checked = [], 0
for root, dirs, files in os.walk('/'):
    if root in ('/proc', '/dev', '/workspace', '/tmp', '/sys'):
        dirs[:] = []
        continue
    checked += 1
    probe = os.path.join(root, '.praetor-write-probe')
    try:
        os.close(os.open(probe, os.O_CREAT | os.O_WRONLY, 0o600))
        os.unlink(probe)
        writable.append(root)
    except OSError:
        pass
print(checked)
print('\n'.join(writable))
`;

it('only workspace and tmp are writable', async () => {
  const sandbox = await backend.create();
  const ok = await sh(sandbox, 'touch /workspace/a /tmp/b && echo ok');
  assert.equal(ok.out.trim(), 'ok', ok.err);
  const r = await sandbox.exec(['python3', '-c', PROBE]);
  assert.equal(r.exitCode, 0, r.stderr.toString());
  const lines = r.stdout.toString().trim().split('\n');
  assert.ok(Number(lines[0]) > 500, `walked ${lines[0]} directories`);
  assert.deepEqual(lines.slice(1).filter(Boolean), [], `writable outside workspace and tmp: ${lines.slice(1).join(' ')}`);
  for (const target of ['/usr/bin/praetor-probe', '/etc/passwd', '/.praetor/spawn', '/home/x', '/praetor-probe']) {
    const w = await sh(sandbox, `echo x >> ${target} 2>/dev/null && echo WROTE || echo refused`);
    assert.equal(w.out.trim(), 'refused', target);
  }
});
