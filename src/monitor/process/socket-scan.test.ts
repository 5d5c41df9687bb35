// The parsers behind the socket-aware signals: /proc/net tables, fd links as praetor-procmon writes them.
import * as assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { fdKindOfLink, parseProcAddress, parseProcNet, parseSockstat, readNetSockets } from './socket-scan.js';

const TCP = `  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 0100007F:1267 00000000:0000 0A 00000000:00000000 00:00000000 00000000  1000        0 41234 1 0000000000000000 100 0 0 10 0
   1: 0D00F10A:A1B2 0D00F10A:0C38 02 00000000:00000000 01:00000123 00000000  1000        0 41299 2 0000000000000000 100 0 0 10 -1
`;

describe('socket scan parsers', () => {
  it('reads /proc/net/tcp rows: state, ports, peer', () => {
    const rows = parseProcNet(TCP, 'tcp');
    assert.deepEqual(rows.map((r) => [r.inode, r.state, r.localPort, r.remote, r.remotePort]), [
      [41234, 'LISTEN', 4711, '0.0.0.0', 0],
      [41299, 'SYN_SENT', 41394, '10.241.0.13', 3128],
    ]);
  });

  it('reads IPv6 addresses, IPv4-mapped ones as IPv4', () => {
    assert.equal(parseProcAddress('0000000000000000FFFF00000100007F'), '127.0.0.1');
    assert.equal(parseProcAddress('00000000000000000000000001000000'), '::1');
  });

  it('classifies fd links', () => {
    assert.deepEqual(
      ['tcp:[5]', 'udp:[6]', 'socket:[7]', 'pipe:[8]', '/dev/pts/0', '/dev/null', null, 'anon_inode:[eventfd]'].map(fdKindOfLink),
      ['tcp', 'udp', 'unix', 'pipe', 'tty', 'file', 'none', 'other'],
    );
  });

  it('reads the in-use counts of sockstat and sockstat6', () => {
    const text = 'sockets: used 69\nTCP: inuse 2 orphan 0 tw 0 alloc 5 mem 263\nUDP: inuse 0 mem 0\nUDPLITE: inuse 0\nTCP6: inuse 1\nUDP6: inuse 0\nUDPLITE6: inuse 0\n';
    assert.deepEqual([...parseSockstat(text)], [['tcp', 2], ['udp', 0], ['tcp6', 1], ['udp6', 0]]);
  });
});

// The tables are skipped when the namespace's counts say they are empty: a listener in a fresh
// namespace must still be found, and an empty namespace must give nothing (not the host's sockets).
describe('readNetSockets in a network namespace of its own (root)', () => {
  const inFreshNetns = async (script: string): Promise<{ pid: number; line: string; stop: () => void }> => {
    const child = spawn('unshare', ['--net', 'python3', '-c', script], { stdio: ['ignore', 'pipe', 'inherit'] });
    const [chunk] = (await once(child.stdout, 'data')) as [Buffer];
    return { pid: child.pid ?? -1, line: chunk.toString().trim(), stop: () => child.kill('SIGKILL') };
  };

  it('finds a listener there, and nothing in an empty namespace', async () => {
    const listening = await inFreshNetns(
      "import socket,time\ns=socket.socket(); s.bind(('127.0.0.1',0)); s.listen(); print(s.getsockname()[1], flush=True); time.sleep(30)",
    );
    const empty = await inFreshNetns("import time\nprint('up', flush=True); time.sleep(30)");
    try {
      const found = [...(await readNetSockets(listening.pid)).values()];
      assert.deepEqual(found.map((s) => [s.proto, s.state, s.localPort]), [['tcp', 'LISTEN', Number(listening.line)]]);
      assert.equal((await readNetSockets(empty.pid)).size, 0);
    } finally {
      listening.stop();
      empty.stop();
    }
  });
});
