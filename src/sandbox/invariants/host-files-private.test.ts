// Invariant: what praetor keeps on the host is private to root: another host user can neither list
// praetor's directories nor read a sandbox's workspace; the sandbox's own uid reaches only its disk.
import { after, it } from 'node:test';
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { statSync } from 'node:fs';
import { newBackend, sh } from './harness.js';
import { defaultHostPaths } from '../local/host-paths.js';

const backend = newBackend();
after(() => backend.close());

const NOBODY = 65534;

/** Runs a shell command as another unprivileged host user; its output. */
function asUser(uid: number, script: string): string {
  const r = spawnSync('setpriv', [`--reuid=${uid}`, `--regid=${uid}`, '--clear-groups', 'sh', '-c', script], { encoding: 'utf8' });
  return `${r.stdout}${r.stderr}`;
}

function mode(path: string): { mode: string; uid: number } {
  const s = statSync(path);
  return { mode: (s.mode & 0o7777).toString(8), uid: s.uid };
}

it("a sandbox's workspace and praetor's state are out of other host users' reach", async () => {
  const sandbox = await backend.create();
  const w = await sh(sandbox, 'echo secret-of-the-agent > /workspace/notes; echo hidden > /tmp/t; echo ok');
  assert.equal(w.out.trim(), 'ok', w.err);
  const { dataDir, hostUid } = sandbox.hostInfo();
  const paths = defaultHostPaths();
  assert.deepEqual(mode(paths.stateDir), { mode: '700', uid: 0 });
  assert.deepEqual(mode(paths.dataDir), { mode: '711', uid: 0 });
  assert.deepEqual(mode(`${paths.dataDir}/sandboxes`), { mode: '711', uid: 0 });
  assert.deepEqual(mode(dataDir), { mode: '700', uid: hostUid });

  const probe = `cat ${dataDir}/workspace/notes; cat ${dataDir}/tmp/t; ls ${dataDir}; ls ${paths.dataDir}/sandboxes; ls ${paths.stateDir}/sandboxes; echo done`;
  const nobody = asUser(NOBODY, probe);
  // Contents, or a listing's lines: sandbox ids, records, the disk's folders.
  assert.doesNotMatch(nobody, /secret-of-the-agent|hidden|^sb-[0-9a-f]+(\.json)?$|^(workspace|tmp|lost\+found)$/m, nobody);
  assert.match(nobody, /done/);
  // Another sandbox's uid is just another host user.
  const other = await backend.create();
  const neighbour = asUser(other.hostInfo().hostUid, probe);
  assert.doesNotMatch(neighbour, /secret-of-the-agent|hidden/, neighbour);
  // The sandbox's own uid still reaches its disk (bubblewrap binds it from there as that uid).
  assert.match(asUser(hostUid, `cat ${dataDir}/workspace/notes`), /secret-of-the-agent/);
});
