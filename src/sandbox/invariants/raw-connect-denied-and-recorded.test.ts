// Invariant: a raw connection from a program that ignores proxy variables fails, and is recorded
// with its destination and the step that made it.
import { after, it } from 'node:test';
import * as assert from 'node:assert/strict';
import { createServer, type Server } from 'node:net';
import { newBackend } from './harness.js';
import type { DeniedAttempt } from '../network/network-events.js';

const backend = newBackend();
const servers: Server[] = [];
after(async () => {
  for (const s of servers) s.close();
  await backend.close();
});

it('raw TCP and UDP attempts are refused and recorded with port, protocol and step', async () => {
  const sandbox = await backend.create();
  const { hostAddress } = sandbox.hostInfo();
  // A live listener on the cell's host-side address (ours): reachable if the firewall let it through.
  let accepted = 0;
  const server = createServer((s) => {
    accepted++;
    s.destroy();
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, hostAddress, resolve));
  const port = (server.address() as { port: number }).port;

  await sandbox.exec(['true']); // step 1: nothing
  const probe = `
import socket
s = socket.socket()
s.settimeout(3)
print('tcp', s.connect_ex(('${hostAddress}', ${port})))
u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
try:
    u.sendto(b'x', ('${hostAddress}', 53))
    print('udp sent')
except OSError as e:
    print('udp', e.errno)
`;
  const r = await sandbox.exec(['python3', '-c', probe]); // a raw socket: proxy variables play no part
  assert.equal(r.step, 2);
  assert.match(r.stdout.toString(), /^tcp 111$/m); // ECONNREFUSED from the cell's reset
  assert.equal(accepted, 0, 'the connection reached the host');

  await sandbox.flushNetworkEvents();
  const denied = sandbox.networkEvents().filter((e): e is DeniedAttempt => e.kind === 'denied-attempt');
  const tcp = denied.find((e) => e.protocol === 'tcp' && e.dstPort === port);
  assert.ok(tcp, `tcp attempt recorded: ${JSON.stringify(denied)}`);
  assert.equal(tcp.dstAddress, hostAddress);
  assert.equal(tcp.step, 2);
  assert.equal(tcp.sandboxId, sandbox.id);
  assert.ok(Math.abs(tcp.time - Date.now()) < 60_000);
  const udp = denied.find((e) => e.protocol === 'udp' && e.dstPort === 53);
  assert.ok(udp, 'udp attempt recorded');
  assert.equal(udp.step, 2);
});

it('bash /dev/tcp, which never reads proxy variables, is refused and recorded too', async () => {
  const sandbox = await backend.create();
  const { hostAddress } = sandbox.hostInfo();
  const r = await sandbox.exec(['bash', '-c', `exec 3<>/dev/tcp/${hostAddress}/2222 && echo CONNECTED || echo refused`]);
  assert.match(r.stdout.toString(), /refused/);
  await sandbox.flushNetworkEvents();
  assert.ok(sandbox.networkEvents().some((e) => e.kind === 'denied-attempt' && e.dstPort === 2222 && e.step === 1));
});

it('a denial is tied to its step past the steps prepared at creation (after several refills)', async () => {
  const sandbox = await backend.create();
  const { hostAddress } = sandbox.hostInfo();
  for (let i = 1; i < 40; i++) await sandbox.exec(['true']);
  const r = await sandbox.exec(['bash', '-c', `exec 3<>/dev/tcp/${hostAddress}/2223 && echo CONNECTED || echo refused`]);
  assert.equal(r.step, 40);
  assert.match(r.stdout.toString(), /refused/);
  await sandbox.flushNetworkEvents();
  const denied = sandbox.networkEvents().filter((e): e is DeniedAttempt => e.kind === 'denied-attempt' && e.dstPort === 2223);
  assert.deepEqual(denied.map((e) => e.step), [40]);
});
