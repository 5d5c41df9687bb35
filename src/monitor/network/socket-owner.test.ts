import { describe, it } from 'node:test';
import * as assert from 'node:assert/strict';
import { createServer, connect } from 'node:net';
import { parseProcNetTcp, socketHolder, socketInode } from './socket-owner.js';

const SAMPLE = `  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 0200F10A:A1B2 0100F10A:0C38 01 00000000:00000000 00:00000000 00000000  1000        0 123456 1 0000000000000000 20 4 30 10 -1
   1: 00000000:0016 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 777 1 0000000000000000 100 0 0 10 0
`;

describe('parseProcNetTcp', () => {
  it('reads ports (hex) and inodes', () => {
    assert.deepEqual(parseProcNetTcp(SAMPLE), [
      { localPort: 0xa1b2, remotePort: 3128, inode: 123456 },
      { localPort: 22, remotePort: 0, inode: 777 },
    ]);
  });
});

describe('socketInode and socketHolder', () => {
  it('find this process as the holder of its own client socket', async () => {
    const server = createServer((s) => s.on('error', () => undefined));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as { port: number }).port;
    const client = connect(port, '127.0.0.1');
    await new Promise((resolve) => client.once('connect', resolve));
    try {
      const inode = await socketInode(process.pid, client.localPort ?? 0);
      assert.ok(inode !== null && inode > 0);
      assert.equal(await socketHolder(inode, [process.pid]), process.pid);
      assert.equal(await socketHolder(inode, []), null);
      assert.equal(await socketInode(process.pid, 1), null);
    } finally {
      client.destroy();
      server.close();
    }
  });
});
