// Stream plumbing of the egress proxy: relaying with backpressure while the first chunk is
// inspected, time budgets, and mapping connection errors to SOCKS5 reply codes.
import type { Socket } from 'node:net';
import type { Readable, Writable } from 'node:stream';
import { Socks5Reply, type Socks5ReplyCode } from './socks5.js';

/** What the inspection of a chunk says: drop it ('veto'), forward it and show the next one too ('more'), or stop looking. */
export type Inspection = 'veto' | 'more' | 'done';

/**
 * Copies `from` into `to` with backpressure. `inspect` sees each chunk before it is forwarded, from
 * the first until it answers 'done'; it may veto one. Returns the data handler.
 */
export function relay(from: Readable, to: Writable, inspect: (chunk: Buffer) => Inspection, count?: (n: number) => void): (chunk: Buffer) => void {
  let inspecting = true;
  const onData = (chunk: Buffer): void => {
    if (inspecting) {
      const verdict = inspect(chunk);
      if (verdict === 'veto') return;
      inspecting = verdict === 'more';
    }
    if (to.destroyed || to.writableEnded) return;
    count?.(chunk.length);
    if (!to.write(chunk)) from.pause();
  };
  from.on('data', onData);
  to.on('drain', () => from.resume());
  from.on('end', () => {
    if (!to.destroyed && !to.writableEnded) to.end();
  });
  return onData;
}

export type Direction = 'out' | 'in';

/** What a tunnel tells its owner; `inspector` builds the inspection of the stream, given the way to tear it down. */
export interface TunnelHooks {
  inspector: (abort: (error: string) => void) => (direction: Direction, chunk: Buffer) => Inspection;
  count: (direction: Direction, bytes: number) => void;
  /** Each error that tore the stream down (the owner keeps the first). */
  failed: (error: string) => void;
  /** Both sides have closed. */
  closed: () => void;
}

/** Pipes client and upstream both ways with backpressure; `head` is what the client sent early. */
export function tunnel(client: Socket, upstream: Socket, head: Buffer, hooks: TunnelHooks): void {
  const abort = (error: string): void => {
    hooks.failed(error);
    client.destroy();
    upstream.destroy();
  };
  const inspect = hooks.inspector(abort);
  let open = 2;
  const wire = (from: Socket, to: Socket, direction: Direction): ((chunk: Buffer) => void) => {
    from.on('error', (err) => abort(`${direction === 'out' ? 'client' : 'upstream'} error: ${err.message}`));
    from.once('close', (hadError) => {
      // A clean close lets the other side flush what it still holds; an error drops it.
      if (hadError || to.writableFinished) to.destroy();
      else if (!to.destroyed) {
        to.once('finish', () => to.destroy());
        to.end();
      }
      if (--open === 0) hooks.closed();
    });
    return relay(from, to, (chunk) => inspect(direction, chunk), (n) => hooks.count(direction, n));
  };
  const sendOut = wire(client, upstream, 'out');
  wire(upstream, client, 'in');
  client.resume();
  if (head.length > 0) sendOut(head);
}

export function withTimeout<T>(p: Promise<T>, ms: number, message: string): Promise<T> {
  return new Promise((resolve, reject) => {
    // Unref'd: a verdict or lookup that never comes must not keep a closed proxy's process alive.
    const timer = setTimeout(() => reject(Object.assign(new Error(message), { code: 'ETIMEDOUT' })), ms).unref();
    p.then(
      (v) => (clearTimeout(timer), resolve(v)),
      (err: unknown) => (clearTimeout(timer), reject(err instanceof Error ? err : new Error(String(err)))),
    );
  });
}

export function codeOf(err: unknown): string {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : 'EFAIL';
}

export function socksCode(code: string): Socks5ReplyCode {
  switch (code) {
    case 'ECONNREFUSED':
      return Socks5Reply.connectionRefused;
    case 'ENETUNREACH':
      return Socks5Reply.networkUnreachable;
    case 'ETIMEDOUT':
      return Socks5Reply.ttlExpired;
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
    case 'EHOSTUNREACH':
      return Socks5Reply.hostUnreachable;
    default:
      return Socks5Reply.generalFailure;
  }
}

const LINGER_MS = 5_000;

/** Drains what a refused client still sends, so it reads the answer instead of a reset; bounded in time. */
export function linger(client: Socket): void {
  client.resume();
  const timer = setTimeout(() => client.destroy(), LINGER_MS).unref();
  client.once('close', () => clearTimeout(timer));
}
