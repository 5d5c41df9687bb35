// The parsers behind the socket-aware signals: /proc/net tables, fd links as praetor-procmon writes them.
import * as assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { fdKindOfLink, parseProcAddress, parseProcNet } from './socket-scan.js';

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
});
