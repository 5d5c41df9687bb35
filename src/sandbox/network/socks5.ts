// SOCKS5 wire format (RFC 1928), server side: no-auth; requests of every command are read, so the
// proxy can record a BIND or UDP ASSOCIATE it refuses. The egress proxy does the policy and the
// tunnelling; this module only turns bytes into a request and replies into bytes.

import type { Socket } from 'node:net';

export const SOCKS5_VERSION = 0x05;

export const Socks5Reply = {
  succeeded: 0x00,
  generalFailure: 0x01,
  notAllowedByRuleset: 0x02,
  networkUnreachable: 0x03,
  hostUnreachable: 0x04,
  connectionRefused: 0x05,
  ttlExpired: 0x06,
  commandNotSupported: 0x07,
  addressTypeNotSupported: 0x08,
} as const;
export type Socks5ReplyCode = (typeof Socks5Reply)[keyof typeof Socks5Reply];

const NO_AUTH = 0x00;
const NO_ACCEPTABLE_METHOD = 0xff;
export const Socks5Command = { connect: 0x01, bind: 0x02, udpAssociate: 0x03 } as const;
const ATYP_IPV4 = 0x01;
const ATYP_DOMAIN = 0x03;
const ATYP_IPV6 = 0x04;

/** Outcome of parsing a message that may not have fully arrived yet. */
export type Parsed<T> =
  | { kind: 'incomplete' }
  | { kind: 'invalid'; reply: Socks5ReplyCode | null; message: string }
  | { kind: 'ok'; value: T; rest: Buffer };

export function parseGreeting(buf: Buffer): Parsed<{ methods: number[] }> {
  if (buf.length < 2) return { kind: 'incomplete' };
  if (buf[0] !== SOCKS5_VERSION) return { kind: 'invalid', reply: null, message: `not SOCKS5 (version ${buf[0]})` };
  const count = buf[1] ?? 0;
  if (buf.length < 2 + count) return { kind: 'incomplete' };
  return { kind: 'ok', value: { methods: [...buf.subarray(2, 2 + count)] }, rest: buf.subarray(2 + count) };
}

export interface Socks5Request {
  /** CONNECT (1), BIND (2), UDP ASSOCIATE (3), or anything a client sent. */
  command: number;
  host: string;
  port: number;
}

export function parseRequest(buf: Buffer): Parsed<Socks5Request> {
  if (buf.length < 5) return { kind: 'incomplete' };
  if (buf[0] !== SOCKS5_VERSION) return { kind: 'invalid', reply: Socks5Reply.generalFailure, message: 'bad version in request' };
  const command = buf[1] ?? 0;
  const atyp = buf[3];
  let host: string;
  let at: number;
  if (atyp === ATYP_IPV4) {
    at = 4 + 4;
    if (buf.length < at + 2) return { kind: 'incomplete' };
    host = [...buf.subarray(4, at)].join('.');
  } else if (atyp === ATYP_DOMAIN) {
    const len = buf[4] ?? 0;
    at = 5 + len;
    if (buf.length < at + 2) return { kind: 'incomplete' };
    if (len === 0) return { kind: 'invalid', reply: Socks5Reply.hostUnreachable, message: 'empty domain name' };
    host = buf.subarray(5, at).toString('latin1');
  } else if (atyp === ATYP_IPV6) {
    at = 4 + 16;
    if (buf.length < at + 2) return { kind: 'incomplete' };
    const groups: string[] = [];
    for (let i = 4; i < at; i += 2) groups.push(buf.readUInt16BE(i).toString(16));
    host = groups.join(':'); // uncompressed; the proxy canonicalises it with the other hosts
  } else {
    return { kind: 'invalid', reply: Socks5Reply.addressTypeNotSupported, message: `address type ${atyp} not supported` };
  }
  const port = buf.readUInt16BE(at);
  return { kind: 'ok', value: { command, host, port }, rest: buf.subarray(at + 2) };
}

/** A reply with BND.ADDR 0.0.0.0:0: clients of CONNECT do not use the bound address. */
export function encodeReply(code: Socks5ReplyCode): Buffer {
  return Buffer.from([SOCKS5_VERSION, code, 0x00, ATYP_IPV4, 0, 0, 0, 0, 0, 0]);
}

export type Socks5Handshake =
  | { ok: true; command: number; host: string; port: number; head: Buffer }
  /** `malformed`: the client spoke, and what it said was not a usable SOCKS5 request (not a close or a timeout). */
  | { ok: false; error: string; malformed: boolean };

/**
 * Runs the method negotiation and reads the request. On success the socket is left paused with
 * its reply still owed (the caller decides it, the command included); `head` holds any bytes sent
 * past the request. On failure the error reply, if the protocol has one, has been written and the
 * socket ended.
 */
export function negotiateSocks5(socket: Socket, timeoutMs: number): Promise<Socks5Handshake> {
  return new Promise((resolve) => {
    let buf: Buffer = Buffer.alloc(0);
    let stage: 'greeting' | 'request' = 'greeting';
    const timer = setTimeout(() => fail('handshake timed out', null, false), timeoutMs);

    const finish = (result: Socks5Handshake): void => {
      clearTimeout(timer);
      socket.off('data', onData);
      socket.off('close', onClose);
      socket.pause();
      resolve(result);
    };
    const fail = (error: string, reply: Buffer | null, malformed = true): void => {
      if (reply && socket.writable) socket.end(reply);
      else socket.destroy();
      finish({ ok: false, error, malformed });
    };
    const onClose = (): void => finish({ ok: false, error: 'client closed during handshake', malformed: false });
    const onData = (chunk: Buffer): void => {
      buf = buf.length === 0 ? chunk : Buffer.concat([buf, chunk]);
      if (stage === 'greeting') {
        const g = parseGreeting(buf);
        if (g.kind === 'incomplete') return;
        if (g.kind === 'invalid') return fail(g.message, null);
        if (!g.value.methods.includes(NO_AUTH)) {
          return fail('client offers no acceptable auth method', Buffer.from([SOCKS5_VERSION, NO_ACCEPTABLE_METHOD]));
        }
        socket.write(Buffer.from([SOCKS5_VERSION, NO_AUTH]));
        stage = 'request';
        buf = g.rest;
        if (buf.length === 0) return;
      }
      const r = parseRequest(buf);
      if (r.kind === 'incomplete') return;
      if (r.kind === 'invalid') return fail(r.message, r.reply === null ? null : encodeReply(r.reply));
      finish({ ok: true, ...r.value, head: r.rest });
    };

    socket.on('data', onData);
    socket.on('close', onClose);
    socket.resume();
  });
}
