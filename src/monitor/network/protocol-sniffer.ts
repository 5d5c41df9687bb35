// Names the protocol spoken on a proxied stream from its first chunk, so a CONNECT to port 443
// that carries Stratum or SSH is seen for what it is. Pure, bounded and total: it never throws.
import type { WireProtocol } from '../events.js';
import { isServerHello, parseClientHello } from './tls-client-hello.js';
import { stratumReply, stratumRequest } from './stratum.js';

export interface Sniffed {
  protocol: WireProtocol;
  /** What identified it: the TLS SNI, the HTTP Host, the SSH banner, the Stratum method. */
  detail: string | null;
}

/** Text protocols state themselves in the first lines; more is not looked at. */
const MAX_TEXT = 8 * 1024;
const MAX_DETAIL = 255;
const REQUEST_LINE = /^([A-Z][A-Z-]{0,19}) (\S{1,8000}) HTTP\/\d(?:\.\d)?$/;
const STATUS_LINE = /^HTTP\/\d(?:\.\d)? \d{3}(?: .*)?$/;
/** RFC 4253 4.2; 1.99 is a server that also speaks version 1. */
const SSH_BANNER = /^SSH-(?:2\.0|1\.99)-\S/;

function unknown(): Sniffed {
  return { protocol: 'unknown', detail: null };
}

function text(chunk: Buffer): string {
  return chunk.subarray(0, MAX_TEXT).toString('latin1');
}

/** Keeps details printable and short: they end up in logs and alerts. */
function clean(s: string): string {
  return s.replace(/[\x00-\x1f\x7f-\xff]/g, '?').slice(0, MAX_DETAIL);
}

function lines(s: string): string[] {
  return s.split('\n').map((l) => (l.endsWith('\r') ? l.slice(0, -1) : l));
}

function firstNonSpace(chunk: Buffer): number | null {
  for (let i = 0; i < chunk.length && i < 64; i++) {
    const b = chunk[i];
    if (b !== 0x20 && b !== 0x09 && b !== 0x0a && b !== 0x0d) return b ?? null;
  }
  return null;
}

function sniffSsh(all: string[], maxLead: number): Sniffed | null {
  // A server may send other lines before its banner (RFC 4253 4.2); a client may not.
  for (const line of all.slice(0, maxLead + 1)) {
    if (SSH_BANNER.test(line)) return { protocol: 'ssh', detail: clean(line) };
  }
  return null;
}

function hostOfTarget(target: string): string | null {
  const m = /^[a-z][a-z0-9+.-]*:\/\/([^/?#\s]+)/i.exec(target);
  return m?.[1] ?? null;
}

function sniffHttpRequest(all: string[]): Sniffed | null {
  const m = REQUEST_LINE.exec(all[0] ?? '');
  if (m === null) return null;
  for (const line of all.slice(1)) {
    if (line === '') break;
    const colon = line.indexOf(':');
    if (colon > 0 && line.slice(0, colon).trim().toLowerCase() === 'host') {
      return { protocol: 'http', detail: clean(line.slice(colon + 1).trim()) };
    }
  }
  // HTTP/1.0 needs no Host; a proxy request names the host in the target instead.
  const fromTarget = m[1] === 'CONNECT' ? (m[2] ?? null) : hostOfTarget(m[2] ?? '');
  return { protocol: 'http', detail: fromTarget === null ? null : clean(fromTarget) };
}

function stratumDetail(method: string, identity: string | null): string {
  return clean(identity === null ? method : `${method} ${identity}`);
}

/** What a client's first bytes say it speaks. */
export function sniffClientBytes(chunk: Buffer): Sniffed {
  try {
    const first = firstNonSpace(chunk);
    if (first === null) return unknown();
    if (chunk[0] === 0x16) {
      const hello = parseClientHello(chunk);
      return hello === null ? unknown() : { protocol: 'tls', detail: hello.serverName };
    }
    const t = text(chunk);
    if (first === 0x7b /* { */) {
      const hit = stratumRequest(t);
      return hit === null ? unknown() : { protocol: 'stratum', detail: stratumDetail(hit.method, hit.identity) };
    }
    const all = lines(t);
    if (chunk[0] === 0x53 /* S */) return sniffSsh(all, 0) ?? unknown();
    return sniffHttpRequest(all) ?? unknown();
  } catch {
    // Total by contract: the caller is on the data path of every proxied stream.
    return unknown();
  }
}

/** What a server's first bytes say it speaks (for streams where the server talks first, or replies). */
export function sniffServerBytes(chunk: Buffer): Sniffed {
  try {
    const first = firstNonSpace(chunk);
    if (first === null) return unknown();
    if (chunk[0] === 0x16) return isServerHello(chunk) ? { protocol: 'tls', detail: null } : unknown();
    const t = text(chunk);
    if (first === 0x7b /* { */) {
      const hit = stratumReply(t);
      return hit === null ? unknown() : { protocol: 'stratum', detail: clean(hit.method) };
    }
    const all = lines(t);
    const ssh = sniffSsh(all, 20);
    if (ssh !== null) return ssh;
    if (STATUS_LINE.test(all[0] ?? '')) return { protocol: 'http', detail: clean(all[0] ?? '') };
    return unknown();
  } catch {
    return unknown();
  }
}
