import { describe, it } from 'node:test';
import * as assert from 'node:assert/strict';
import { endianness } from 'node:os';
import { FrameDecoder, encodeExec, encodeRelease } from './spawner-protocol.js';

const LE = endianness() === 'LE';
const u32 = (b: Buffer, off: number): number => (LE ? b.readUInt32LE(off) : b.readUInt32BE(off));

function frame(type: number, id: number, payload: Buffer): Buffer {
  const head = Buffer.alloc(9);
  if (LE) head.writeUInt32LE(5 + payload.length, 0);
  else head.writeUInt32BE(5 + payload.length, 0);
  head.writeUInt8(type, 4);
  if (LE) head.writeUInt32LE(id, 5);
  else head.writeUInt32BE(id, 5);
  return Buffer.concat([head, payload]);
}

function i32s(...values: number[]): Buffer {
  const b = Buffer.alloc(values.length * 4);
  values.forEach((v, i) => (LE ? b.writeInt32LE(v, i * 4) : b.writeInt32BE(v, i * 4)));
  return b;
}

describe('spawner protocol', () => {
  it('encodes an exec as counts, stdin, then NUL-terminated argv and env', () => {
    const b = encodeExec(7, ['/bin/cat', '-'], { A: '1', B: 'x=y' }, Buffer.from('in'));
    assert.equal(u32(b, 0), b.length - 4);
    assert.equal(b.readUInt8(4), 1);
    assert.equal(u32(b, 5), 7);
    assert.deepEqual([u32(b, 9), u32(b, 13), u32(b, 17)], [2, 2, 2]);
    assert.equal(b.subarray(21, 23).toString(), 'in');
    assert.equal(b.subarray(23).toString(), '/bin/cat\0-\0A=1\0B=x=y\0');
  });

  it('refuses NUL bytes in argv or env and an empty argv', () => {
    assert.throws(() => encodeExec(1, ['a\0b'], {}, Buffer.alloc(0)), /NUL/);
    assert.throws(() => encodeExec(1, ['a'], { K: 'v\0' }, Buffer.alloc(0)), /NUL/);
    assert.throws(() => encodeExec(1, [], {}, Buffer.alloc(0)), /argv/);
  });

  it('encodes a release as a bare header', () => {
    const b = encodeRelease(9);
    assert.equal(b.length, 9);
    assert.deepEqual([u32(b, 0), b.readUInt8(4), u32(b, 5)], [5, 2, 9]);
  });

  it('decodes every event, whatever the chunking', () => {
    const stream = Buffer.concat([
      frame(1, 3, i32s(4242)),
      frame(3, 3, Buffer.from('out')),
      frame(4, 3, Buffer.from('err')),
      frame(5, 3, Buffer.from([1])),
      frame(5, 3, Buffer.from([2])),
      frame(6, 3, i32s(2, 0)),
      frame(6, 4, i32s(-1, 9)),
      frame(2, 5, i32s(2)),
    ]);
    const expected = [
      { type: 'started', id: 3, pid: 4242 },
      { type: 'stdout', id: 3, data: Buffer.from('out') },
      { type: 'stderr', id: 3, data: Buffer.from('err') },
      { type: 'eof', id: 3, stream: 'stdout' },
      { type: 'eof', id: 3, stream: 'stderr' },
      { type: 'exit', id: 3, code: 2, signal: null },
      { type: 'exit', id: 4, code: null, signal: 9 },
      { type: 'failed', id: 5, errno: 2 },
    ];
    for (const size of [1, 2, 5, 9, 13, stream.length]) {
      const decoder = new FrameDecoder();
      const events = [];
      for (let off = 0; off < stream.length; off += size) events.push(...decoder.push(stream.subarray(off, off + size)));
      assert.deepEqual(events, expected, `chunks of ${size}`);
    }
  });

  it('throws on a frame it can not understand', () => {
    assert.throws(() => new FrameDecoder().push(frame(99, 1, Buffer.alloc(0))), /unknown/);
    assert.throws(() => new FrameDecoder().push(Buffer.from([1, 0, 0, 0, 0])), /length/);
  });
});
