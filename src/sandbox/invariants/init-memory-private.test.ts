// Invariant: no process of a sandbox can reach into its init (PID 1): /proc/1/mem, environ and fd
// do not open, so the one process the sandbox can not kill can not be made to run its code.
import { after, it } from 'node:test';
import * as assert from 'node:assert/strict';
import { newBackend } from './harness.js';

const backend = newBackend();
after(() => backend.close());

const PROBE = String.raw`
import os
for path, flags in (('/proc/1/mem', os.O_RDWR), ('/proc/1/mem', os.O_RDONLY), ('/proc/1/environ', os.O_RDONLY)):
    try:
        os.close(os.open(path, flags))
        print(path, flags, 'opened')
    except OSError as e:
        print(path, flags, e.strerror)
try:
    print('/proc/1/fd', os.listdir('/proc/1/fd'))
except OSError as e:
    print('/proc/1/fd', e.strerror)
print('self', 'opened' if os.open('/proc/self/mem', os.O_RDWR) >= 0 else 'no')
`;

it("the sandbox's init is out of reach of the sandbox's own processes", async () => {
  const sandbox = await backend.create();
  const r = await sandbox.exec(['python3', '-c', PROBE]);
  assert.equal(r.exitCode, 0, r.stderr.toString());
  const out = r.stdout.toString();
  assert.doesNotMatch(out, /^\/proc\/1\S* .*opened$/m, out);
  assert.match(out, /^\/proc\/1\/mem 2 Permission denied$/m, out);
  assert.match(out, /^\/proc\/1\/fd Permission denied$/m, out);
  // The check is about the init, not a /proc that refuses everything: a process still has its own.
  assert.match(out, /^self opened$/m);
});
