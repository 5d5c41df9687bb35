// The egress proxy a sandbox's traffic must leave through: HTTP CONNECT, absolute-form HTTP and SOCKS5
// on one port, a policy decision per request or tunnel, a check of the address it then connects to,
// and one ProxyDecision record when it ends (malformed requests and refused SOCKS commands included).

import { createServer as createHttpServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { createServer as createNetServer, type AddressInfo, type Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { errorMessage } from '../../core/errors.js';
import { isValidHost, normalizeHost } from './domain-filter.js';
import type { ProxyDecision, ProxyMethod } from './network-events.js';
import type { UpstreamResolver } from './resolver.js';
import {
  deniedBody,
  forwardRequest,
  headerValue,
  hostHeader,
  parseAbsoluteForm,
  parseAuthority,
  rawResponse,
  sendText,
  type Target,
} from './http-forward.js';
import { encodeReply, negotiateSocks5, SOCKS5_VERSION, Socks5Command, Socks5Reply } from './socks5.js';
import { linger, socksCode, tunnel, withTimeout, type Inspection } from './stream-relay.js';
import { dialUpstream, type AddressFilter, type Dialled } from './upstream-dial.js';

export interface EgressVerdict {
  allowed: boolean;
  reason: string;
}

/** Who asks: the proxy's id for the stream and the client's source port (to find its process). */
export interface EgressClient {
  connectionId: number;
  clientPort: number | null;
}

/** Decides one destination. Throwing or rejecting denies: the proxy fails closed. */
export type EgressFilter = (host: string, port: number, client: EgressClient) => EgressVerdict | Promise<EgressVerdict>;

export interface FirstBytesInfo extends EgressClient {
  host: string;
  port: number;
  direction: 'out' | 'in';
  method: ProxyMethod;
  resolvedAddress: string | null;
  addressClass: string | null;
}

export type { AddressFilter };

/** Bytes of each direction the inspection hook may ask to see, at most (a ClientHello fits with room). */
export const INSPECT_BUDGET = 64 * 1024;

export interface EgressProxyOptions {
  sandboxId: string;
  filter: EgressFilter;
  resolver: UpstreamResolver;
  /** Required: an allowed name may still resolve to loopback, the host or a private network. */
  checkAddress: AddressFilter;
  /** Called once per request or tunnel, when it ends. Must not throw. */
  onDecision: (d: ProxyDecision) => void;
  /**
   * Sees the first chunk in each direction of every allowed stream, before it is forwarded (tunnels:
   * raw bytes; HTTP forwards: body bytes); returning true asks for the next chunk too (a ClientHello
   * or request head split over several reads), up to INSPECT_BUDGET bytes. Throwing tears the
   * stream down.
   */
  onFirstBytes?: (info: FirstBytesInfo, chunk: Buffer) => boolean | void;
  /** Budget for the filter's verdict, for resolving plus connecting upstream, and for a SOCKS5 handshake. Default 10 s. */
  connectTimeoutMs?: number;
}

/** Mutable while the stream lives; frozen into a ProxyDecision when it ends. */
interface StreamRecord {
  readonly id: number;
  readonly method: ProxyMethod;
  readonly host: string;
  readonly port: number;
  readonly clientPort: number | null;
  time: number;
  allowed: boolean;
  reason: string;
  bytesOut: number;
  bytesIn: number;
  resolvedAddress: string | null;
  addressClass: string | null;
  error: string | null;
  emitted: boolean;
}



export class EgressProxy {
  readonly #opts: EgressProxyOptions;
  readonly #timeoutMs: number;
  readonly #clients = new Set<Socket>();
  readonly #upstreams = new Set<Socket>();
  readonly #http = createHttpServer({ requireHostHeader: false });
  readonly #server = createNetServer({ allowHalfOpen: true }, (socket) => this.#accept(socket));
  #nextId = 1;
  #closed = false;
  #closing: Promise<void> | null = null;

  constructor(options: EgressProxyOptions) {
    this.#opts = options;
    this.#timeoutMs = options.connectTimeoutMs ?? 10_000;
    this.#http.on('connect', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
      void this.#onConnect(req, socket as Socket, head).catch(() => socket.destroy());
    });
    this.#http.on('request', (req: IncomingMessage, res: ServerResponse) => {
      void this.#onRequest(req, res).catch(() => res.destroy());
    });
    // Node answers a request it cannot parse with a 400 by itself; this records it as well.
    this.#http.on('clientError', (err: Error & { code?: string }, socket: Duplex) => this.#onClientError(err, socket as Socket));
  }

  listen(host: string, port = 0): Promise<{ address: string; port: number }> {
    return new Promise((resolve, reject) => {
      this.#server.once('error', reject);
      this.#server.listen(port, host, () => {
        this.#server.off('error', reject);
        const a = this.#server.address() as AddressInfo;
        resolve({ address: a.address, port: a.port });
      });
    });
  }

  /** Stops listening and destroys every client and upstream socket; resolves once all have closed. */
  close(): Promise<void> {
    this.#closing ??= this.#shutdown();
    return this.#closing;
  }

  /** Open client connections (each may carry a tunnel or a keep-alive run of HTTP requests). */
  get activeConnections(): number {
    return this.#clients.size;
  }

  async #shutdown(): Promise<void> {
    this.#closed = true;
    const stopped = new Promise<void>((resolve) => {
      if (this.#server.listening) this.#server.close(() => resolve());
      else resolve();
    });
    const live = [...this.#clients, ...this.#upstreams];
    const gone = live.map((s) => new Promise<void>((resolve) => s.once('close', () => resolve())));
    for (const s of live) s.destroy();
    await Promise.all([stopped, ...gone]);
  }

  /** Peeks at the first byte: SOCKS5 greetings start with 0x05, which no HTTP request line can. */
  #accept(socket: Socket): void {
    if (this.#closed) return void socket.destroy();
    this.#clients.add(socket);
    socket.once('close', () => this.#clients.delete(socket));
    socket.on('error', () => socket.destroy()); // a reset client is not our failure; 'close' does the rest
    socket.once('readable', () => {
      const chunk = socket.read() as Buffer | null;
      if (chunk === null) return void socket.destroy();
      socket.unshift(chunk);
      if (chunk[0] === SOCKS5_VERSION) {
        void this.#onSocks(socket).catch(() => socket.destroy());
      } else {
        this.#http.emit('connection', socket);
        socket.resume();
      }
    });
  }

  async #onConnect(req: IncomingMessage, client: Socket, head: Buffer): Promise<void> {
    client.pause(); // nothing may flow until the verdict and the upstream are in
    const target = parseAuthority(req.url ?? '', 443);
    if (!target) {
      this.#refuse(client, rawResponse(400, 'Bad Request', {}, 'praetor: malformed CONNECT target\n'));
      return this.#malformed('CONNECT', client, `malformed CONNECT target ${quoted(req.url ?? '')}`);
    }
    const rec = await this.#decide('CONNECT', target, client);
    const denied = (): void => {
      this.#refuse(client, rawResponse(403, 'Forbidden', this.#deniedHeaders(rec), deniedBody(rec)));
      this.#emit(rec, 'denied');
    };
    if (!rec.allowed) return denied();
    const up = await this.#dial(rec);
    if (!up.ok && up.refused) return denied();
    if (!up.ok) {
      const headers = { 'X-Praetor-Error': headerValue(up.message), 'X-Praetor-Sandbox': headerValue(this.#opts.sandboxId) };
      this.#refuse(client, rawResponse(502, 'Bad Gateway', headers, `praetor: ${up.message}\n`));
      return this.#emit(rec, 'allowed');
    }
    if (client.destroyed) return this.#abandon(rec, up.socket);
    client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
    this.#tunnel(rec, client, up.socket, head);
  }

  async #onSocks(client: Socket): Promise<void> {
    const hs = await negotiateSocks5(client, this.#timeoutMs);
    if (!hs.ok) {
      if (hs.malformed) this.#malformed('CONNECT', client, `malformed SOCKS5 request: ${hs.error}`);
      return linger(client);
    }
    const host = normalizeHost(hs.host);
    if (hs.command !== Socks5Command.connect) {
      // BIND would open a port for a peer to connect in; UDP ASSOCIATE, a UDP relay. Neither is offered.
      this.#refuse(client, encodeReply(Socks5Reply.commandNotSupported));
      const method = hs.command === Socks5Command.bind ? 'BIND' : hs.command === Socks5Command.udpAssociate ? 'UDP-ASSOCIATE' : 'CONNECT';
      const what = method === 'CONNECT' ? `command ${hs.command}` : method.replace('-', ' ');
      return this.#malformed(method, client, `SOCKS5 ${what} is not supported`, { host: isValidHost(host) ? host : '', port: hs.port });
    }
    if (!isValidHost(host) || hs.port === 0) {
      this.#refuse(client, encodeReply(Socks5Reply.hostUnreachable));
      return this.#malformed('CONNECT', client, `malformed SOCKS5 target ${quoted(hs.host)}:${hs.port}`);
    }
    const rec = await this.#decide('CONNECT', { host, port: hs.port }, client);
    const denied = (): void => {
      this.#refuse(client, encodeReply(Socks5Reply.notAllowedByRuleset));
      this.#emit(rec, 'denied');
    };
    if (!rec.allowed) return denied();
    const up = await this.#dial(rec);
    if (!up.ok && up.refused) return denied();
    if (!up.ok) {
      this.#refuse(client, encodeReply(socksCode(up.code)));
      return this.#emit(rec, 'allowed');
    }
    if (client.destroyed) return this.#abandon(rec, up.socket);
    client.write(encodeReply(Socks5Reply.succeeded));
    this.#tunnel(rec, client, up.socket, hs.head);
  }

  async #onRequest(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const parsed = parseAbsoluteForm(req.url ?? '');
    if ('error' in parsed) {
      sendText(res, 400, {}, `praetor: ${parsed.error}\n`);
      return this.#malformed('HTTP', req.socket, `malformed request: ${parsed.error} (${req.method ?? '?'} ${quoted(req.url ?? '')})`);
    }
    const rec = await this.#decide('HTTP', parsed, req.socket);
    const denied = (): void => {
      sendText(res, 403, this.#deniedHeaders(rec), deniedBody(rec));
      this.#emit(rec, 'denied');
    };
    if (!rec.allowed) return denied();
    const up = await this.#dial(rec);
    if (!up.ok && up.refused) return denied();
    if (!up.ok) {
      sendText(res, 502, { 'X-Praetor-Error': headerValue(up.message), 'X-Praetor-Sandbox': headerValue(this.#opts.sandboxId) }, `praetor: ${up.message}\n`);
      return this.#emit(rec, 'allowed');
    }
    if (req.socket.destroyed) return this.#abandon(rec, up.socket);
    this.#forward(rec, req, res, up.socket, parsed.path);
  }

  /** Relays one absolute-form request over a fresh upstream socket; its wire counters are the byte counts. */
  #forward(rec: StreamRecord, req: IncomingMessage, res: ServerResponse, upstream: Socket, path: string): void {
    forwardRequest(req, res, upstream, {
      path,
      host: hostHeader(rec),
      inspector: (abort) => this.#sniffer(rec, abort),
      failed: (error) => (rec.error ??= error),
      closed: () => {
        rec.bytesOut = upstream.bytesWritten;
        rec.bytesIn = upstream.bytesRead;
        this.#emit(rec, 'allowed');
      },
    });
  }

  /** Pipes both ways with backpressure; the record is emitted once both sockets have closed. */
  #tunnel(rec: StreamRecord, client: Socket, upstream: Socket, head: Buffer): void {
    tunnel(client, upstream, head, {
      inspector: (abort) => this.#sniffer(rec, abort),
      count: (direction, n) => (direction === 'out' ? (rec.bytesOut += n) : (rec.bytesIn += n)),
      failed: (error) => (rec.error ??= error),
      closed: () => this.#emit(rec, 'allowed'),
    });
  }

  /** The inspection of one stream: 'veto' drops the chunk (the stream is being torn down), 'more' asks for the next. */
  #sniffer(rec: StreamRecord, abort: (error: string) => void): (direction: 'out' | 'in', chunk: Buffer) => Inspection {
    const hook = this.#opts.onFirstBytes;
    const seen = { out: 0, in: 0 };
    return (direction, chunk) => {
      if (!hook) return 'done';
      try {
        const info = {
          connectionId: rec.id, clientPort: rec.clientPort, host: rec.host, port: rec.port, direction,
          method: rec.method, resolvedAddress: rec.resolvedAddress, addressClass: rec.addressClass,
        };
        const more = hook(info, chunk);
        seen[direction] += chunk.length;
        return more === true && seen[direction] < INSPECT_BUDGET ? 'more' : 'done';
      } catch (err) {
        abort(`onFirstBytes error: ${errorMessage(err)}`);
        return 'veto';
      }
    };
  }

  #record(method: ProxyMethod, target: Target, client: Socket): StreamRecord {
    return {
      id: this.#nextId++, method, host: target.host, port: target.port, clientPort: client.remotePort ?? null,
      time: Date.now(), allowed: false, reason: '',
      bytesOut: 0, bytesIn: 0, resolvedAddress: null, addressClass: null, error: null, emitted: false,
    };
  }

  /** Records a request refused before any policy could look at it: unreadable, or a SOCKS command not offered. */
  #malformed(method: ProxyMethod, client: Socket, reason: string, target: Target = { host: '', port: 0 }): void {
    const rec = this.#record(method, target, client);
    rec.reason = reason;
    this.#emit(rec, 'denied');
  }

  #onClientError(err: Error & { code?: string }, socket: Socket): void {
    // Only what the parser refused is a malformed request; resets and timeouts are not decisions.
    if (typeof err.code === 'string' && err.code.startsWith('HPE_') && !socket.destroyed) {
      const status = err.code === 'HPE_HEADER_OVERFLOW' ? '431 Request Header Fields Too Large' : '400 Bad Request';
      socket.end(`HTTP/1.1 ${status}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
      this.#malformed('HTTP', socket, `malformed request: ${err.code}`);
    }
    socket.destroy();
  }

  async #decide(method: ProxyMethod, target: Target, client: Socket): Promise<StreamRecord> {
    const rec = this.#record(method, target, client);
    try {
      const pending = Promise.resolve().then(() =>
        this.#opts.filter(target.host, target.port, { connectionId: rec.id, clientPort: rec.clientPort }),
      );
      const v = await withTimeout(pending, this.#timeoutMs, `timed out after ${this.#timeoutMs} ms`);
      // Anything but an explicit `allowed: true` denies, so a sloppy filter cannot open the gate.
      rec.allowed = v.allowed === true;
      rec.reason = typeof v.reason === 'string' ? v.reason : 'filter error: verdict without a reason';
    } catch (err) {
      rec.reason = `filter error: ${errorMessage(err)}`;
    }
    rec.time = Date.now();
    return rec;
  }

  /** Resolves, checks the address and connects (upstream-dial.ts); the record learns what came of it. */
  async #dial(rec: StreamRecord): Promise<Dialled> {
    const up = await dialUpstream(rec.host, rec.port, {
      resolver: this.#opts.resolver,
      checkAddress: this.#opts.checkAddress,
      timeoutMs: this.#timeoutMs,
      closed: () => this.#closed,
      track: (socket) => {
        this.#upstreams.add(socket);
        socket.once('close', () => this.#upstreams.delete(socket));
      },
    });
    rec.resolvedAddress = up.address;
    rec.addressClass = up.addressClass;
    if (!up.ok && up.refused) {
      rec.allowed = false;
      rec.reason = up.reason;
    } else if (!up.ok) {
      rec.error = up.message;
    }
    return up;
  }

  #emit(rec: StreamRecord, decision: 'allowed' | 'denied'): void {
    if (rec.emitted) return;
    rec.emitted = true;
    this.#opts.onDecision({
      kind: 'proxy-decision', sandboxId: this.#opts.sandboxId, connectionId: rec.id, clientPort: rec.clientPort,
      time: rec.time, method: rec.method, host: rec.host, port: rec.port, decision, reason: rec.reason, bytesOut: rec.bytesOut,
      bytesIn: rec.bytesIn, resolvedAddress: rec.resolvedAddress, addressClass: rec.addressClass, error: rec.error,
    });
  }

  /** The client left while we dialled: drop the upstream and record the allowed-but-unused stream. */
  #abandon(rec: StreamRecord, upstream: Socket): void {
    upstream.destroy();
    rec.error ??= 'client went away before the upstream connected';
    this.#emit(rec, 'allowed');
  }

  #deniedHeaders(rec: StreamRecord): Record<string, string> {
    return { 'X-Praetor-Denied': headerValue(rec.reason), 'X-Praetor-Sandbox': headerValue(this.#opts.sandboxId) };
  }

  /** Sends a final answer on a raw socket, then drains what the client still sends so it reads the answer, not a reset. */
  #refuse(client: Socket, answer: string | Buffer): void {
    if (!client.destroyed) client.end(answer);
    linger(client);
  }
}

/** A client's text, made safe and short for a record. */
function quoted(text: string): string {
  return JSON.stringify(text.length > 200 ? `${text.slice(0, 200)}...` : text);
}
