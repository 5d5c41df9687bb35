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
