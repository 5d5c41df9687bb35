// HTTP pieces of the egress proxy: parsing proxy request targets, the headers forwarded and
// stripped, and the text answers (403, 502) an agent reads to tell a policy block from a failure.
import { request as httpRequest, type IncomingHttpHeaders, type IncomingMessage, type OutgoingHttpHeaders, type ServerResponse } from 'node:http';
import { isIPv6, type Socket } from 'node:net';
import { isValidHost, normalizeHost } from './domain-filter.js';
import { relay, type Direction, type Inspection } from './stream-relay.js';

export interface Target {
  host: string;
  port: number;
}

/** "host", "host:port" or "[v6]:port" (a CONNECT target or URL authority) to a normalised target, or null. */
export function parseAuthority(authority: string, defaultPort: number): Target | null {
  const m = /^\[([^\]]+)\](?::(\d{1,5}))?$/.exec(authority) ?? /^([^:[\]@]+)(?::(\d{1,5}))?$/.exec(authority);
  if (!m) return null;
  const bracketed = authority.startsWith('[');
  const host = normalizeHost(m[1] ?? '');
  const port = m[2] === undefined ? defaultPort : Number(m[2]);
  if (port < 1 || port > 65535 || !isValidHost(host) || bracketed !== isIPv6(host)) return null;
  return { host, port };
}

/** Splits "http://host[:port]/path?query" into target and origin-form path; anything else is an error. */
export function parseAbsoluteForm(url: string): (Target & { path: string }) | { error: string } {
  if (url.startsWith('/') || url === '*') {
    return { error: 'this is an egress proxy: send absolute-form requests (GET http://host/...) or CONNECT' };
  }
  const m = /^([a-z][a-z0-9+.-]*):\/\/([^/?#]*)([^#]*)/i.exec(url);
  if (!m) return { error: 'malformed request target' };
  if (m[1]?.toLowerCase() !== 'http') return { error: `scheme "${m[1]}" is not proxied as plain HTTP; use CONNECT` };
  const target = parseAuthority(m[2] ?? '', 80);
  if (!target) return { error: 'malformed host in request target' };
  const rest = m[3] ?? '';
  return { ...target, path: rest === '' ? '/' : rest.startsWith('?') ? `/${rest}` : rest };
}

// Connection-scoped headers (RFC 9110 7.6.1) plus proxy credentials, which are ours and never go upstream.
const HOP_BY_HOP = new Set([
  'connection', 'keep-alive', 'proxy-connection', 'proxy-authorization', 'proxy-authenticate',
  'te', 'trailer', 'transfer-encoding', 'upgrade',
]);

export function stripHopByHop(headers: IncomingHttpHeaders): OutgoingHttpHeaders {
  const named = String(headers.connection ?? '').toLowerCase().split(',').map((t) => t.trim());
  const out: OutgoingHttpHeaders = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value !== undefined && !HOP_BY_HOP.has(name) && !named.includes(name)) out[name] = value;
  }
  return out;
}

/**
 * Host comes from the request target, never from the client's Host header (RFC 9112 3.2.2): otherwise a
 * request approved for one name could be routed by the origin to another (domain fronting).
 */
export function forwardHeaders(headers: IncomingHttpHeaders, host: string): OutgoingHttpHeaders {
  const out = stripHopByHop(headers);
  out.host = host;
  // A chunked request body keeps its chunking; without this Node would send a GET body unframed.
  if (headers['content-length'] === undefined && /chunked/i.test(String(headers['transfer-encoding'] ?? ''))) {
    out['transfer-encoding'] = 'chunked';
  }
  return out;
}

export function hostHeader(t: Target): string {
  return t.port === 80 ? formatHost(t.host) : `${formatHost(t.host)}:${t.port}`;
}

export function formatHost(host: string): string {
  return isIPv6(host) ? `[${host}]` : host;
}

export function deniedBody(t: Target & { reason: string }): string {
  return `praetor: egress to ${formatHost(t.host)}:${t.port} denied: ${t.reason}\n`;
}

/** Header values must be visible ASCII; reasons and error texts are arbitrary strings. */
export function headerValue(text: string): string {
  return text.replace(/[^\x20-\x7e]/g, '?').slice(0, 512);
}

export function sendText(res: ServerResponse, status: number, headers: Record<string, string>, body: string): void {
  if (res.headersSent) return void res.destroy();
  res.writeHead(status, { ...headers, 'Content-Type': 'text/plain; charset=utf-8', 'Content-Length': Buffer.byteLength(body) });
  res.end(body);
}

export function rawResponse(status: number, text: string, headers: Record<string, string>, body: string): string {
  const lines = Object.entries(headers).map(([k, v]) => `${k}: ${v}\r\n`).join('');
  return (
    `HTTP/1.1 ${status} ${text}\r\n${lines}Content-Type: text/plain; charset=utf-8\r\n` +
    `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`
  );
}

export interface ForwardHooks {
  /** Origin-form path and the Host to send: the request target's, never the client's header. */
  path: string;
  host: string;
  inspector: (abort: (error: string) => void) => (direction: Direction, chunk: Buffer) => Inspection;
  /** Each error on the way (the owner keeps the first). */
  failed: (error: string) => void;
  /** The client's response has closed, complete or not; the upstream socket is destroyed. */
  closed: () => void;
}

/** Relays one absolute-form request over `upstream` (a fresh, connected socket) and its response back. */
export function forwardRequest(req: IncomingMessage, res: ServerResponse, upstream: Socket, hooks: ForwardHooks): void {
  const upReq = httpRequest({
    createConnection: () => upstream,
    method: req.method ?? 'GET',
    path: hooks.path,
    headers: forwardHeaders(req.headers, hooks.host),
  });
  const abort = (error: string): void => {
    hooks.failed(error);
    upReq.destroy();
    res.destroy();
  };
  const inspect = hooks.inspector(abort);
  upReq.on('error', (err) => {
    if (res.headersSent) return abort(`upstream error: ${err.message}`);
    const error = `upstream error: ${err.message}`;
    hooks.failed(error);
    sendText(res, 502, { 'X-Praetor-Error': headerValue(error) }, `praetor: ${error}\n`);
  });
  upReq.on('response', (upRes) => {
    res.writeHead(upRes.statusCode ?? 502, upRes.statusMessage, stripHopByHop(upRes.headers));
    upRes.on('error', (err) => abort(`upstream error: ${err.message}`));
    upRes.on('close', () => {
      if (!upRes.complete) abort('upstream closed mid-response');
    });
    relay(upRes, res, (chunk) => inspect('in', chunk));
  });
  relay(req, upReq, (chunk) => inspect('out', chunk));
  res.once('close', () => {
    if (!res.writableFinished) {
      hooks.failed('client went away before the response completed');
      upReq.destroy();
    }
    upstream.destroy();
    hooks.closed();
  });
}
