import { describe, it } from 'node:test';
import * as assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { parseClientHello } from './tls-client-hello.js';
import { captureClientHello } from './tls-fixtures.js';

/** Re-frames one TLS record's payload as several records of at most `size` bytes. */
function fragment(record: Buffer, size: number): Buffer {
  const payload = record.subarray(5, 5 + record.readUInt16BE(3));
  const out: Buffer[] = [];
  for (let i = 0; i < payload.length; i += size) {
    const part = payload.subarray(i, i + size);
    const head = Buffer.from([0x16, 0x03, 0x01, 0, 0]);
    head.writeUInt16BE(part.length, 3);
    out.push(head, part);
  }
  return Buffer.concat(out);
}

describe('parseClientHello', () => {
  it('reads the SNI of a real ClientHello from node:tls', async () => {
    const hello = await captureClientHello('pool.example.test');
    assert.deepEqual(parseClientHello(hello), { serverName: 'pool.example.test' });
  });

  it('reads a hello without SNI (node sends none for an IP address)', async () => {
    const hello = await captureClientHello();
    assert.deepEqual(parseClientHello(hello), { serverName: null });
  });

  it('joins a hello split across several records', async () => {
    const hello = await captureClientHello('pool.example.test');
    assert.deepEqual(parseClientHello(fragment(hello, 7)), { serverName: 'pool.example.test' });
  });

  it('returns null for every truncation of a real hello', async () => {
    const hello = await captureClientHello('pool.example.test');
    for (let n = 0; n < hello.length; n++) assert.equal(parseClientHello(hello.subarray(0, n)), null, `prefix ${n}`);
  });

  it('returns null for a record that is not a handshake, or a handshake that is not a ClientHello', async () => {
    const hello = await captureClientHello('pool.example.test');
    const alert = Buffer.from(hello);
    alert[0] = 0x15;
    assert.equal(parseClientHello(alert), null);
    const serverHello = Buffer.from(hello);
    serverHello[5] = 2;
    assert.equal(parseClientHello(serverHello), null);
  });

  it('never throws on random or mutated input', async () => {
    const hello = await captureClientHello('pool.example.test');
    for (let i = 0; i < 1000; i++) {
      const random = randomBytes(i % 300);
      if (random.length > 0) random[0] = 0x16; // steer random input into the parser's deeper paths
      if (random.length > 1) random[1] = 0x03;
      assert.doesNotThrow(() => parseClientHello(random));
      const mutated = Buffer.from(hello);
      for (let k = 0; k < 4; k++) mutated[(Math.random() * mutated.length) | 0] = (Math.random() * 256) | 0;
      assert.doesNotThrow(() => parseClientHello(mutated));
    }
  });
});
