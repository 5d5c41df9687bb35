// Invariant: destroy leaves no network namespace, veth, cgroup, mount, process, file or claim behind.
import { after, it } from 'node:test';
import * as assert from 'node:assert/strict';
import { NO_TRACES, hostTraces, newBackend, sh } from './harness.js';

const backend = newBackend();
after(() => backend.close());

it('destroy removes every trace, even with daemons and traffic in flight', async () => {
  const sandbox = await backend.create({ workspace: new URL('.', import.meta.url).pathname });
  const { slot, hostUid } = sandbox.hostInfo();
  await sh(sandbox, '(setsid sleep 600 &); nohup sh -c "while :; do sleep 1; done" >/dev/null 2>&1 & curl -s -m 1 http://nowhere.test/ >/dev/null; true');
  const before = await hostTraces(sandbox.id, slot, hostUid);
  // control: the probe does see a live sandbox
  assert.ok(before.netns && before.veth && before.dataDir && before.record && before.slot, JSON.stringify(before));
  assert.ok(before.cgroups.length > 0 && before.processes.length >= 4, JSON.stringify(before));

  await sandbox.destroy();
  assert.deepEqual(await hostTraces(sandbox.id, slot, hostUid), NO_TRACES);
  await assert.rejects(sandbox.exec(['true']), /destroyed/);
  await sandbox.destroy(); // idempotent
});
