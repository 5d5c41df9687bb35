// A minimal TLS ClientHello reader: just enough structure to name the server (SNI) a tunnel
// speaks to. Written by hand because it only walks lengths, and every read is bounds-checked.

const RECORD_HANDSHAKE = 0x16;
const HANDSHAKE_CLIENT_HELLO = 1;
const HANDSHAKE_SERVER_HELLO = 2;
const EXT_SERVER_NAME = 0x0000;
const NAME_TYPE_HOST = 0;
const RECORD_HEADER = 5;
const HANDSHAKE_HEADER = 4;
/** Enough for any real ClientHello (post-quantum key shares included); bounds the work per stream. */
const MAX_HELLO = 64 * 1024;

export interface ClientHello {
  /** The server_name extension's host name; null when the client sent none. */
  readonly serverName: string | null;
}

/** A read cursor over one buffer: every read checks bounds, so a lie in a length field ends the walk. */
class Reader {
  constructor(
    private readonly buf: Buffer,
    private pos = 0,
    private readonly end = buf.length,
  ) {}

  get remaining(): number {
    return this.end - this.pos;
  }

  u8(): number | null {
    if (this.remaining < 1) return null;
    return this.buf[this.pos++] ?? null;
  }

  u16(): number | null {
    if (this.remaining < 2) return null;
    const v = this.buf.readUInt16BE(this.pos);
    this.pos += 2;
    return v;
  }

  u24(): number | null {
    if (this.remaining < 3) return null;
    const v = this.buf.readUIntBE(this.pos, 3);
    this.pos += 3;
    return v;
  }

  skip(n: number): boolean {
    if (this.remaining < n) return false;
    this.pos += n;
    return true;
  }

  /** A sub-reader over the next n bytes, which this reader then skips. */
  sub(n: number): Reader | null {
    if (this.remaining < n) return null;
    const r = new Reader(this.buf, this.pos, this.pos + n);
    this.pos += n;
    return r;
  }

  bytes(n: number): Buffer | null {
    if (this.remaining < n) return null;
    const b = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return b;
  }
}

/**
 * The handshake message carried by the leading handshake records of a chunk, fragments joined
 * (a ClientHello may legally span records, and splitting it is a cheap way to hide the SNI).
 * Null when the chunk does not start with a TLS handshake record or the message is incomplete.
 */
function handshakeMessage(chunk: Buffer): Buffer | null {
  const fragments: Buffer[] = [];
  let have = 0;
  let need: number | null = null;
  let pos = 0;
  while (need === null || have < need) {
    if (chunk.length - pos < RECORD_HEADER) return null;
    if (chunk[pos] !== RECORD_HANDSHAKE || chunk[pos + 1] !== 0x03) return null;
    const len = chunk.readUInt16BE(pos + 3);
    if (len === 0 || chunk.length - pos - RECORD_HEADER < len) return null;
    fragments.push(chunk.subarray(pos + RECORD_HEADER, pos + RECORD_HEADER + len));
    have += len;
    pos += RECORD_HEADER + len;
    if (need === null && have >= HANDSHAKE_HEADER) {
      const head = fragments.length === 1 ? fragments[0] : Buffer.concat(fragments);
      if (head === undefined) return null;
      need = HANDSHAKE_HEADER + head.readUIntBE(1, 3);
      if (need > MAX_HELLO) return null;
    }
  }
  const message = fragments.length === 1 ? fragments[0] : Buffer.concat(fragments);
  return message === undefined ? null : message.subarray(0, need);
}

function printable(name: Buffer): string {
  let out = '';
  for (const byte of name) {
    out += byte > 0x20 && byte < 0x7f ? String.fromCharCode(byte) : `\\x${byte.toString(16).padStart(2, '0')}`;
  }
  return out;
}

function serverNameOf(ext: Reader): string | null {
  const listLen = ext.u16();
  if (listLen === null) return null;
  const list = ext.sub(listLen);
  while (list !== null && list.remaining > 0) {
    const type = list.u8();
    const len = list.u16();
    if (type === null || len === null) return null;
    const name = list.bytes(len);
    if (name === null) return null;
    // Non-printable bytes are escaped, not dropped: a forged SNI is evidence worth keeping readable.
    if (type === NAME_TYPE_HOST && len > 0) return printable(name.subarray(0, 255));
  }
  return null;
}

/** Parses the ClientHello at the start of a client's first bytes; null when there is none, whole. */
export function parseClientHello(chunk: Buffer): ClientHello | null {
  const message = handshakeMessage(chunk);
  if (message === null || message[0] !== HANDSHAKE_CLIENT_HELLO) return null;
  const r = new Reader(message, HANDSHAKE_HEADER);
  const version = r.u16();
  if (version === null || version >> 8 !== 0x03) return null;
  if (!r.skip(32)) return null; // random
  const sessionLen = r.u8();
  if (sessionLen === null || sessionLen > 32 || !r.skip(sessionLen)) return null;
  const suitesLen = r.u16();
  if (suitesLen === null || suitesLen % 2 !== 0 || !r.skip(suitesLen)) return null;
  const compressionLen = r.u8();
  if (compressionLen === null || !r.skip(compressionLen)) return null;
  if (r.remaining === 0) return { serverName: null }; // a hello without extensions is legal
  const extLen = r.u16();
  const exts = extLen === null ? null : r.sub(extLen);
  if (exts === null) return null;
  while (exts.remaining > 0) {
    const type = exts.u16();
    const len = exts.u16();
    const body = len === null ? null : exts.sub(len);
    if (type === null || body === null) return null;
    if (type === EXT_SERVER_NAME) return { serverName: serverNameOf(body) };
  }
  return { serverName: null };
}

/** Whether a server's first bytes are a TLS ServerHello (only its header is checked). */
export function isServerHello(chunk: Buffer): boolean {
  return (
    chunk.length >= RECORD_HEADER + HANDSHAKE_HEADER + 2 &&
    chunk[0] === RECORD_HANDSHAKE &&
    chunk[1] === 0x03 &&
    chunk[RECORD_HEADER] === HANDSHAKE_SERVER_HELLO &&
    chunk[RECORD_HEADER + HANDSHAKE_HEADER] === 0x03
  );
}
