// The egress proxy a sandbox's traffic must leave through: HTTP CONNECT, absolute-form HTTP and SOCKS5
// on one port, a policy decision per request or tunnel, a check of the address it then connects to,
// and one ProxyDecision record when it ends (malformed requests and refused SOCKS commands included).

import {
  createServer as createHttpServer,
  request as httpRequest,
  type IncomingMessage,
  type ServerResponse,
} from 'node:http';
import { connect, createServer as createNetServer, type AddressInfo, type Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { errorMessage } from '../../core/errors.js';
import { isValidHost, normalizeHost } from './domain-filter.js';
import type { AddressVerdict } from './address-policy.js';
import type { ProxyDecision, ProxyMethod } from './network-events.js';
import { ResolveError, type UpstreamResolver } from './resolver.js';
import {
  deniedBody,
  forwardHeaders,
  formatHost,
  headerValue,
  hostHeader,
  parseAbsoluteForm,
  parseAuthority,
  rawResponse,
  sendText,
  stripHopByHop,
  type Target,
} from './http-forward.js';
import { encodeReply, negotiateSocks5, SOCKS5_VERSION, Socks5Command, Socks5Reply } from './socks5.js';
import { codeOf, linger, relay, socksCode, withTimeout, type Inspection } from './stream-relay.js';

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

/**
 * Decides the address a request is about to be connected to, after resolution. Throwing denies.
 * The proxy then connects to exactly that address: there is no second lookup to rebind.
 */
export type AddressFilter = (address: string) => AddressVerdict;

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

type Upstream =
  | { ok: true; socket: Socket; address: string }
  /** `refused`: the address check said no; the request is denied, not failed. */
  | { ok: false; refused: true }
  | { ok: false; refused: false; address: string | null; code: string; message: string };


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
    const upReq = httpRequest({
      createConnection: () => upstream,
      method: req.method ?? 'GET',
      path,
      headers: forwardHeaders(req.headers, hostHeader(rec)),
    });
    const abort = (error: string): void => {
      rec.error ??= error;
      upReq.destroy();
      res.destroy();
    };
    const sniff = this.#sniffer(rec, abort);
    upReq.on('error', (err) => {
      if (res.headersSent) return abort(`upstream error: ${err.message}`);
      rec.error ??= `upstream error: ${err.message}`;
      sendText(res, 502, { 'X-Praetor-Error': headerValue(rec.error) }, `praetor: ${rec.error}\n`);
    });
    upReq.on('response', (upRes) => {
      res.writeHead(upRes.statusCode ?? 502, upRes.statusMessage, stripHopByHop(upRes.headers));
      upRes.on('error', (err) => abort(`upstream error: ${err.message}`));
      upRes.on('close', () => {
        if (!upRes.complete) abort('upstream closed mid-response');
      });
      relay(upRes, res, (chunk) => sniff('in', chunk));
    });
    relay(req, upReq, (chunk) => sniff('out', chunk));
    res.once('close', () => {
      if (!res.writableFinished) {
        rec.error ??= 'client went away before the response completed';
        upReq.destroy();
      }
      rec.bytesOut = upstream.bytesWritten;
      rec.bytesIn = upstream.bytesRead;
      upstream.destroy();
      this.#emit(rec, 'allowed');
    });
  }

  /** Pipes both ways with backpressure; the record is emitted once both sockets have closed. */
  #tunnel(rec: StreamRecord, client: Socket, upstream: Socket, head: Buffer): void {
    const abort = (error: string): void => {
      rec.error ??= error;
      client.destroy();
      upstream.destroy();
    };
    const sniff = this.#sniffer(rec, abort);
    let open = 2;
    const wire = (from: Socket, to: Socket, direction: 'out' | 'in'): ((chunk: Buffer) => void) => {
      from.on('error', (err) => abort(`${direction === 'out' ? 'client' : 'upstream'} error: ${err.message}`));
      from.once('close', (hadError) => {
        // A clean close lets the other side flush what it still holds; an error drops it.
        if (hadError || to.writableFinished) to.destroy();
        else if (!to.destroyed) {
          to.once('finish', () => to.destroy());
          to.end();
        }
        if (--open === 0) this.#emit(rec, 'allowed');
      });
      return relay(from, to, (chunk) => sniff(direction, chunk), (n) => {
        if (direction === 'out') rec.bytesOut += n;
        else rec.bytesIn += n;
      });
    };
    const sendOut = wire(client, upstream, 'out');
    wire(upstream, client, 'in');
    client.resume();
    if (head.length > 0) sendOut(head);
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

  /**
   * Resolves, checks the address and connects to exactly that address, within one time budget.
   * A refused address comes back as a denial (the record says why); failures as data for the 502
   * or SOCKS reply.
   */
  async #dial(rec: StreamRecord): Promise<Upstream> {
    const fail = (address: string | null, code: string, message: string): Upstream => {
      rec.resolvedAddress = address;
      rec.error = message;
      return { ok: false, refused: false, address, code, message };
    };
    const started = Date.now();
    let target;
    try {
      target = await withTimeout(this.#opts.resolver.resolve(rec.host, rec.port), this.#timeoutMs, `resolving ${rec.host} timed out`);
    } catch (err) {
      return fail(null, err instanceof ResolveError ? err.code : codeOf(err), errorMessage(err));
    }
    if (this.#closed) return fail(target.address, 'ECANCELED', 'proxy closed');
    rec.resolvedAddress = target.address;
    const verdict = this.#checkAddress(target.address, target.trustedService);
    rec.addressClass = verdict.addressClass;
    if (!verdict.allowed) {
      rec.allowed = false;
      rec.reason = verdict.reason;
      return { ok: false, refused: true };
    }
    const where = `${formatHost(target.address)}:${target.port}`;
    return new Promise<Upstream>((resolve) => {
      const socket = connect({ host: target.address, port: target.port, allowHalfOpen: true });
      this.#upstreams.add(socket);
      socket.once('close', () => this.#upstreams.delete(socket));
      let settled = false;
      const settle = (result: () => Upstream): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        resolve(result());
      };
      const timer = setTimeout(() => {
        socket.destroy();
        settle(() => fail(target.address, 'ETIMEDOUT', `connect to ${where} timed out`));
      }, Math.max(0, this.#timeoutMs - (Date.now() - started)));
      // Stays attached for the socket's life: whoever takes it over adds real handling, and no
      // error in between may become an uncaught exception.
      socket.on('error', (err) => settle(() => fail(target.address, codeOf(err), `connect to ${where} failed: ${err.message}`)));
      socket.once('connect', () => settle(() => ({ ok: true, socket, address: target.address })));
    });
  }

  /** The address filter's verdict; a filter that throws denies. A trusted service passes whatever its address. */
  #checkAddress(address: string, trustedService: string | undefined): AddressVerdict {
    let verdict: AddressVerdict;
    try {
      verdict = this.#opts.checkAddress(address);
    } catch (err) {
      return { allowed: false, addressClass: 'not-an-address', reason: `internal-address: check failed: ${errorMessage(err)}` };
    }
    if (!verdict.allowed && trustedService !== undefined && verdict.addressClass !== 'not-an-address') {
      return { allowed: true, addressClass: verdict.addressClass };
    }
    return verdict;
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
