// The frames praetor and native/praetor-spawner exchange (see the header of praetor-spawner.c):
// u32 length of the rest, u8 type, u32 id, payload; host byte order (both ends share the host).
import { endianness } from 'node:os';

const LE = endianness() === 'LE';
const HEADER = 9;

export const Request = { exec: 1, release: 2, execIn: 3 } as const;

export type SpawnerEvent =
  | { readonly type: 'started'; readonly id: number; readonly pid: number }
  | { readonly type: 'failed'; readonly id: number; readonly errno: number }
  | { readonly type: 'stdout' | 'stderr'; readonly id: number; readonly data: Buffer }
  | { readonly type: 'eof'; readonly id: number; readonly stream: 'stdout' | 'stderr' }
  | { readonly type: 'exit'; readonly id: number; readonly code: number | null; readonly signal: number | null };

function header(total: number, type: number, id: number): Buffer {
  const b = Buffer.allocUnsafe(HEADER);
  if (LE) b.writeUInt32LE(total, 0);
  else b.writeUInt32BE(total, 0);
  b.writeUInt8(type, 4);
  if (LE) b.writeUInt32LE(id, 5);
  else b.writeUInt32BE(id, 5);
  return b;
}

function u32s(values: readonly number[]): Buffer {
  const b = Buffer.allocUnsafe(values.length * 4);
  values.forEach((v, i) => (LE ? b.writeUInt32LE(v, i * 4) : b.writeUInt32BE(v, i * 4)));
  return b;
}

/** Where an EXEC_IN runs: the step's working directory and the cgroup.procs files it joins. */
export interface EnterSpec {
  readonly cwd: string;
  readonly cgroups: readonly string[];
}

/**
 * An EXEC request: argv[0] is the path executed; env as KEY=VALUE strings. With `enter`, an
 * EXEC_IN: the command runs inside the spawner's sandbox, argv[0] searched in env's PATH there.
 */
export function encodeExec(
  id: number,
  argv: readonly string[],
  env: Readonly<Record<string, string>>,
  stdin: Buffer,
  enter?: EnterSpec,
): Buffer {
  if (argv.length === 0) throw new Error('exec needs argv[0]');
  const envStrings = Object.entries(env).map(([k, v]) => `${k}=${v}`);
  const strings = [...argv, ...envStrings, ...(enter ? [enter.cwd, ...enter.cgroups] : [])];
  // The helper reads NUL-terminated strings; a NUL inside one would silently cut it short.
  if (strings.some((s) => s.includes('\0'))) throw new Error('argv, env, cwd and cgroup paths may not contain NUL bytes');
  const body = Buffer.from(`${strings.join('\0')}\0`);
  const counts = u32s(enter ? [argv.length, envStrings.length, stdin.length, enter.cgroups.length] : [argv.length, envStrings.length, stdin.length]);
  const total = 5 + counts.length + stdin.length + body.length;
  return Buffer.concat([header(total, enter ? Request.execIn : Request.exec, id), counts, stdin, body]);
}

export function encodeRelease(id: number): Buffer {
  return header(5, Request.release, id);
}

/** Turns the spawner's byte stream into events; chunks may split frames anywhere. */
export class FrameDecoder {
  private pending: Buffer = Buffer.alloc(0);

  push(chunk: Buffer): SpawnerEvent[] {
    this.pending = this.pending.length === 0 ? chunk : Buffer.concat([this.pending, chunk]);
    const events: SpawnerEvent[] = [];
    let off = 0;
    const buf = this.pending;
    while (buf.length - off >= 4) {
      const total = LE ? buf.readUInt32LE(off) : buf.readUInt32BE(off);
      if (total < 5) throw new Error(`spawner frame of length ${total}`);
      if (buf.length - off - 4 < total) break;
      const type = buf.readUInt8(off + 4);
      const id = LE ? buf.readUInt32LE(off + 5) : buf.readUInt32BE(off + 5);
      const payload = buf.subarray(off + HEADER, off + 4 + total);
      events.push(decodeEvent(type, id, payload));
      off += 4 + total;
    }
    // Keep only the unparsed tail (copied, so the chunk it came from can be freed).
    this.pending = off === buf.length ? Buffer.alloc(0) : off === 0 ? buf : Buffer.from(buf.subarray(off));
    return events;
  }
}

function i32(payload: Buffer, index: number): number {
  return LE ? payload.readInt32LE(index * 4) : payload.readInt32BE(index * 4);
}

function decodeEvent(type: number, id: number, payload: Buffer): SpawnerEvent {
  switch (type) {
    case 1:
      return { type: 'started', id, pid: i32(payload, 0) };
    case 2:
      return { type: 'failed', id, errno: i32(payload, 0) };
    case 3:
      return { type: 'stdout', id, data: payload };
    case 4:
      return { type: 'stderr', id, data: payload };
    case 5:
      return { type: 'eof', id, stream: payload.readUInt8(0) === 1 ? 'stdout' : 'stderr' };
    case 6: {
      const code = i32(payload, 0);
      const signal = i32(payload, 1);
      return { type: 'exit', id, code: signal === 0 ? code : null, signal: signal === 0 ? null : signal };
    }
    default:
      throw new Error(`unknown spawner event type ${type}`);
  }
}
