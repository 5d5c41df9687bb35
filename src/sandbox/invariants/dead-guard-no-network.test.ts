// Invariant: after praetor is killed with SIGKILL its sandbox has no network (and no processes),
// and `praetor gc` removes every trace.
import { it } from 'node:test';
import * as assert from 'node:assert/strict';
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { NO_TRACES, hostTraces, pidsOfUid } from './harness.js';

const HOLDER = fileURLToPath(new URL('./hold-sandbox.js', import.meta.url));
const CLI = fileURLToPath(new URL('../../cli/main.js', import.meta.url));

interface Held {
  id: string;
  slot: number;
  hostUid: number;
  hostAddress: string;
  initPid: number;
}

function connectFromCell(id: string, address: string, port: number): string {
  // Root in the cell's namespace: a stronger position than any sandboxed process has.
  const probe = `import socket\ns=socket.socket()\ns.settimeout(2)\nprint(s.connect_ex(('${address}', ${port})))`;
  return execFileSync('nsenter', [`--net=/run/netns/praetor-${id}`, 'python3', '-c', probe], { encoding: 'utf8' }).trim();
}

it('a killed praetor leaves a sandbox without network, and gc removes every trace', async () => {
  if (process.getuid?.() !== 0) throw new Error('needs root (CI runs as root)');
  const holder = spawn(process.execPath, [HOLDER], { stdio: ['ignore', 'pipe', 'inherit'] });
  const line = await new Promise<string>((resolve, reject) => {
    createInterface({ input: holder.stdout }).once('line', resolve);
    holder.once('exit', (code) => reject(new Error(`holder exited early (${code})`)));
  });
  const held = JSON.parse(line) as Held;
  // control: while praetor lives, the proxy answers from the cell
  assert.equal(connectFromCell(held.id, held.hostAddress, 3128), '0');

  holder.kill('SIGKILL');
  await new Promise((resolve) => holder.once('exit', resolve));
  await new Promise((resolve) => setTimeout(resolve, 200));

  assert.notEqual(connectFromCell(held.id, held.hostAddress, 3128), '0', 'the proxy still answers');
  assert.notEqual(connectFromCell(held.id, held.hostAddress, 22), '0', 'the host answers on another port');
  assert.deepEqual(pidsOfUid(held.hostUid), [], 'sandbox processes outlived praetor');
  const before = await hostTraces(held.id, held.slot, held.hostUid);
  assert.ok(before.netns && before.cgroups.length > 0 && before.record, 'traces exist before gc');

  const gc = spawnSync(process.execPath, [CLI, 'gc', '--json'], { encoding: 'utf8' });
  assert.equal(gc.status, 0, `praetor gc failed: ${gc.stdout}${gc.stderr}`);
  const report = JSON.parse(gc.stdout) as { removed: string[]; problems: string[] };
  assert.ok(report.removed.includes(held.id), JSON.stringify(report));
  assert.deepEqual(report.problems, []);
  assert.deepEqual(await hostTraces(held.id, held.slot, held.hostUid), NO_TRACES);
});
