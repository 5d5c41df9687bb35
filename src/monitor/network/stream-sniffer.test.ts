import * as assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { frontedHost } from './inner-host.js';
import { StreamSniffer, type SniffStep } from './stream-sniffer.js';
import { captureClientHello } from './tls-fixtures.js';

/** Feeds the pieces in order; returns the step after each. */
function feed(direction: 'out' | 'in', pieces: Buffer[]): SniffStep[] {
  const sniffer = new StreamSniffer(direction);
  return pieces.map((p) => sniffer.push(p));
}

/** Re-frames one TLS handshake record into records of `size` bytes of payload each (legal TLS). */
function reRecord(hello: Buffer, size: number): Buffer {
  const body = hello.subarray(5, 5 + hello.readUInt16BE(3));
  const out: Buffer[] = [];
  for (let at = 0; at < body.length; at += size) {
    const part = body.subarray(at, at + size);
    out.push(Buffer.from([0x16, 0x03, 0x01, part.length >> 8, part.length & 0xff]), part);
  }
  return Buffer.concat(out);
}

const bytes = (s: string): Buffer => Buffer.from(s, 'latin1');
const last = (steps: SniffStep[]): SniffStep | undefined => steps[steps.length - 1];

describe('StreamSniffer', () => {
  it('names a ClientHello split at every byte, only once it is whole', async () => {
    const hello = await captureClientHello('front.example.test');
    const steps = feed('out', [...hello].map((b) => Buffer.from([b])));
    assert.ok(steps.slice(0, -1).every((s) => !s.done));
    assert.deepEqual(last(steps), { done: true, sniffed: { protocol: 'tls', detail: 'front.example.test' } });
  });

  it('names a ClientHello spread over one-byte TLS records and several reads', async () => {
    const framed = reRecord(await captureClientHello('hidden.example.test'), 1);
    const pieces = [framed.subarray(0, 7), framed.subarray(7, 1000), framed.subarray(1000)];
    const steps = feed('out', pieces);
    assert.deepEqual(last(steps), { done: true, sniffed: { protocol: 'tls', detail: 'hidden.example.test' } });
  });

  it('reads an HTTP head to its blank line before naming the Host', () => {
    const steps = feed('out', [bytes('GET / HTTP/1.1\r\nUser-Agent: x\r\n'), bytes('Ho'), bytes('st: evil.test\r\n'), bytes('\r\n')]);
    assert.deepEqual(steps.map((s) => s.done), [false, false, false, true]);
    assert.deepEqual(last(steps), { done: true, sniffed: { protocol: 'http', detail: 'evil.test' } });
  });

  it('needs only the first line of an SSH banner or a Stratum message', () => {
    assert.deepEqual(feed('out', [bytes('SSH-2.0-'), bytes('OpenSSH_9.6\r\n')]).map((s) => s.done), [false, true]);
    const stratum = feed('out', [bytes('{"id":1,"method":"mining.sub'), bytes('scribe","params":[]}\n')]);
    assert.deepEqual(last(stratum), { done: true, sniffed: { protocol: 'stratum', detail: 'mining.subscribe' } });
  });

  it('gives up at once on binary it does not know, and at the budget on endless text', () => {
    assert.deepEqual(feed('out', [Buffer.from([0x00, 0x01, 0x02])]), [{ done: true, sniffed: { protocol: 'unknown', detail: null } }]);
    const text = feed('out', Array.from({ length: 20 }, () => bytes('x'.repeat(512))));
    assert.ok(text.slice(0, 15).every((s) => !s.done));
    assert.equal(last(text)?.done, true);
  });

  it('a server: a banner line, a status line, a ServerHello header', () => {
    assert.deepEqual(last(feed('in', [bytes('SSH-2.0-Open'), bytes('SSH_9.2\r\n')])), { done: true, sniffed: { protocol: 'ssh', detail: 'SSH-2.0-OpenSSH_9.2' } });
    assert.equal(feed('in', [bytes('HTTP/1.1 200 OK\r\n')])[0]?.done, true);
  });

  it('does not write into the chunks it is given', () => {
    const first = bytes('GET / HTTP/1.1\r\n');
    const copy = Buffer.from(first);
    feed('out', [first, bytes('Host: a\r\n\r\n')]);
    assert.deepEqual(first, copy);
  });
});

describe('frontedHost', () => {
  const cases: [target: string, protocol: 'tls' | 'http' | 'ssh', detail: string | null, expected: string | null][] = [
    ['allowed.test', 'tls', 'allowed.test', null],
    ['allowed.test', 'tls', 'ALLOWED.test.', null],
    ['allowed.test', 'tls', 'evil.test', 'evil.test'],
    ['allowed.test', 'tls', null, null],
    ['allowed.test', 'http', 'allowed.test:8080', null],
    ['allowed.test', 'http', 'evil.test:80', 'evil.test'],
    ['::1', 'http', '[::1]:80', null],
    ['::1', 'http', '[::2]', '[::2]'],
    ['93.184.215.14', 'http', 'www.example.com', 'www.example.com'],
    ['a.allowed.test', 'tls', 'b.allowed.test', 'b.allowed.test'],
    ['allowed.test', 'ssh', 'SSH-2.0-x', null],
  ];
  for (const [target, protocol, detail, expected] of cases) {
    it(`${target} with ${protocol} ${detail ?? '(none)'} -> ${expected ?? 'no fronting'}`, () => {
      assert.equal(frontedHost(target, { protocol, detail }), expected);
    });
  }
});
