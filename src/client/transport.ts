// HTTP to praetord over its unix socket or TCP, with the bearer key: JSON calls, raw bytes and
// server-sent events. node:http only (no fetch, no framework): the CLI's one-shot path loads this
// and must start about as fast as `node -e 0`.
import { request as httpRequest, Agent, type IncomingMessage, type RequestOptions } from 'node:http';
import { createParser, type EventSourceMessage } from 'eventsource-parser';
import { PraetorApiError, apiError } from './errors.js';
import { describeTarget, type DaemonTarget } from './target.js';

export interface TransportOptions {
  readonly target: DaemonTarget;
  /** `pk_<id>_<secret>`; needed over TCP, optional on the root-only unix socket. */
  readonly apiKey?: string;
}

export interface CallOptions {
  readonly body?: unknown;
  /** A raw body (files, tars) instead of JSON. */
  readonly raw?: Buffer | string;
  readonly contentType?: string;
  readonly signal?: AbortSignal;
  readonly query?: Readonly<Record<string, string | undefined>>;
}

export interface ServerSentEvent {
  readonly event: string;
  readonly data: string;
  readonly id?: string;
}

export class Transport {
  /** Keeps the connection between calls; idle sockets are unref'd by node, so they hold no process open. */
  private readonly agent = new Agent({ keepAlive: true });

  constructor(private readonly options: TransportOptions) {}

  get target(): DaemonTarget {
    return this.options.target;
  }

  /** A JSON call; resolves to the parsed body (undefined for 204). */
  async json<T>(method: string, path: string, options: CallOptions = {}): Promise<T> {
    const res = await this.send(method, path, options, 'application/json');
    const body = await readAll(res);
    if (res.statusCode === undefined || res.statusCode < 200 || res.statusCode >= 300) throw apiError(res.statusCode ?? 0, body);
    if (res.statusCode === 204 || body.length === 0) return undefined as T;
    try {
      return JSON.parse(body.toString('utf8')) as T;
    } catch (err) {
      throw new PraetorApiError(res.statusCode, 'bad-response', `${method} ${path}: the daemon answered with something that is not JSON`, { cause: err });
    }
  }

  /** A call whose answer is raw bytes (file contents, a tar). */
  async bytes(method: string, path: string, options: CallOptions = {}): Promise<Buffer> {
    const res = await this.send(method, path, options, '*/*');
    const body = await readAll(res);
    if (res.statusCode === undefined || res.statusCode < 200 || res.statusCode >= 300) throw apiError(res.statusCode ?? 0, body);
    return body;
  }

  /** A call answered with `text/event-stream`; ends when the server ends it, the loop breaks or `signal` aborts. */
  async *events(method: string, path: string, options: CallOptions = {}): AsyncGenerator<ServerSentEvent> {
    let res: IncomingMessage;
    try {
      res = await this.send(method, path, options, 'text/event-stream');
    } catch (err) {
      if (options.signal?.aborted) return; // stopped by its caller: the stream just ends
      throw err;
    }
    if (res.statusCode === undefined || res.statusCode < 200 || res.statusCode >= 300) throw apiError(res.statusCode ?? 0, await readAll(res));
    const queue: ServerSentEvent[] = [];
    const parser = createParser({
      onEvent: (m: EventSourceMessage) => queue.push({ event: m.event ?? 'message', data: m.data, ...(m.id !== undefined ? { id: m.id } : {}) }),
    });
    res.setEncoding('utf8');
    try {
      for await (const chunk of res as AsyncIterable<string>) {
        parser.feed(chunk);
        while (queue.length > 0) yield queue.shift() as ServerSentEvent;
      }
    } catch (err) {
      if (!options.signal?.aborted) throw err;
    } finally {
      res.destroy();
    }
  }

  /** Drops kept connections. */
  close(): void {
    this.agent.destroy();
    this.tlsAgent?.destroy();
  }

  private async send(method: string, path: string, options: CallOptions, accept: string): Promise<IncomingMessage> {
    const target = this.options.target;
    const search = new URLSearchParams();
    for (const [k, v] of Object.entries(options.query ?? {})) if (v !== undefined) search.set(k, v);
    const fullPath = search.size > 0 ? `${path}?${search.toString()}` : path;
    let payload: Buffer | undefined;
    const headers: Record<string, string> = { accept };
    if (options.raw !== undefined) {
      payload = typeof options.raw === 'string' ? Buffer.from(options.raw) : options.raw;
      headers['content-type'] = options.contentType ?? 'application/octet-stream';
    } else if (options.body !== undefined) {
      payload = Buffer.from(JSON.stringify(options.body));
      headers['content-type'] = 'application/json';
    }
    if (payload !== undefined) headers['content-length'] = String(payload.length);
    if (this.options.apiKey !== undefined) headers.authorization = `Bearer ${this.options.apiKey}`;
    const base: RequestOptions = { method, path: fullPath, headers, agent: this.agent, ...(options.signal ? { signal: options.signal } : {}) };
    let requestFn = httpRequest;
    let req: RequestOptions;
    if (target.kind === 'unix') {
      req = { ...base, socketPath: target.socketPath };
    } else {
      const url = target.url;
      const prefix = url.pathname.replace(/\/$/, '');
      req = { ...base, host: url.hostname, port: url.port || (url.protocol === 'https:' ? 443 : 80), path: `${prefix}${fullPath}` };
      if (url.protocol === 'https:') {
        const https = await import('node:https');
        requestFn = https.request;
        req = { ...req, agent: this.httpsAgent(https.Agent) };
      }
    }
    return new Promise<IncomingMessage>((resolve, reject) => {
      const r = requestFn(req, resolve);
      r.on('error', (err: NodeJS.ErrnoException) => {
        if (err.name === 'AbortError') reject(err);
        else reject(new PraetorApiError(0, 'unreachable', `praetord at ${describeTarget(target)}: ${err.code ?? err.message}`, { cause: err }));
      });
      r.end(payload);
    });
  }

  private tlsAgent: Agent | null = null;
  private httpsAgent(AgentClass: new (o: { keepAlive: boolean }) => Agent): Agent {
    this.tlsAgent ??= new AgentClass({ keepAlive: true });
    return this.tlsAgent;
  }
}

async function readAll(res: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of res as AsyncIterable<Buffer>) chunks.push(chunk);
  return Buffer.concat(chunks);
}
