// For the service's tests (never product code): starts `praetor serve` as a real process on a
// temporary socket and loopback TCP, reads the port from its ready line, and talks plain HTTP to
// it over either transport, server-sent events included.
import { spawn, type ChildProcess } from 'node:child_process';
import { request as httpRequest, Agent } from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createParser } from 'eventsource-parser';

export const CLI = fileURLToPath(new URL('../../cli/main.js', import.meta.url));

export interface Reply {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly body: Buffer;
  readonly json: Record<string, unknown> & { error?: { code: string; message: string } };
}

export interface CallOptions {
  /** Over TCP (the default) or the unix socket. */
  readonly via?: 'tcp' | 'unix';
  readonly key?: string;
  /** JSON-encoded with content-type application/json. */
  readonly body?: unknown;
  /** Sent as is. */
  readonly raw?: Buffer | string;
  readonly headers?: Record<string, string>;
}

export interface SseEvent {
  readonly event: string;
  readonly data: Record<string, unknown>;
  /** Milliseconds since the stream opened. */
  readonly at: number;
}

export interface SseStream {
  readonly events: SseEvent[];
  /** Resolves with the first event matching, waiting up to `ms`. */
  waitFor(match: (e: SseEvent) => boolean, ms?: number): Promise<SseEvent>;
  /** Resolves when the server ends the stream. */
  readonly ended: Promise<void>;
  close(): void;
}

/** Sockets (reused by keep-alive) that already ignore late write errors. */
const quieted = new WeakSet<object>();

export class DaemonProcess {
  readonly agent = new Agent({ keepAlive: true, maxSockets: 256 });
  stderr = '';
  stdout = '';

  private constructor(
    readonly child: ChildProcess,
    readonly dir: string,
    readonly socket: string,
    readonly port: number,
  ) {}

  get keysPath(): string {
    return join(this.dir, 'keys.db');
  }

  /** Starts the daemon and waits for its ready line. */
  static async start(extra: readonly string[] = [], env: NodeJS.ProcessEnv = {}): Promise<DaemonProcess> {
    const dir = mkdtempSync(join(tmpdir(), 'praetord-test-'));
    const socket = join(dir, 'praetord.sock');
    const args = [CLI, 'serve', '--socket', socket, '--listen', '127.0.0.1:0', '--keys', join(dir, 'keys.db'), '--store', `sqlite:${join(dir, 'episodes.db')}`, ...extra];
    const child = spawn(process.execPath, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    let stdout = '';
    child.stdout?.on('data', (c: Buffer) => (stdout += c.toString()));
    const port = await new Promise<number>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`praetord not ready after 60 s: ${stderr}`)), 60_000);
      child.stderr?.on('data', (c: Buffer) => {
        stderr += c.toString();
        const m = /praetord: ready on .*http:\/\/127\.0\.0\.1:(\d+)/.exec(stderr);
        if (m) {
          clearTimeout(timer);
          resolve(Number(m[1]));
        }
      });
      child.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`praetord exited (${code}) before it was ready: ${stderr}`));
      });
    });
    const daemon = new DaemonProcess(child, dir, socket, port);
    daemon.stderr = stderr;
    child.stderr?.on('data', (c: Buffer) => (daemon.stderr += c.toString()));
    child.stdout?.on('data', (c: Buffer) => (daemon.stdout += c.toString()));
    daemon.stdout = stdout;
    return daemon;
  }

  /** A key created with the CLI, as an operator would. */
  async createKey(scope: string, flags: readonly string[] = []): Promise<string> {
    const out = await runCli(['keys', 'create', '--name', `test-${scope}`, '--scope', scope, '--keys', this.keysPath, ...flags]);
    if (out.code !== 0) throw new Error(`keys create failed: ${out.stderr}`);
    return out.stdout.trim();
  }

  private target(via: 'tcp' | 'unix'): { socketPath: string } | { host: string; port: number } {
    return via === 'unix' ? { socketPath: this.socket } : { host: '127.0.0.1', port: this.port };
  }

  private headers(options: CallOptions): Record<string, string> {
    const headers: Record<string, string> = { ...options.headers };
    if (options.key) headers.authorization = `Bearer ${options.key}`;
    if (options.body !== undefined) headers['content-type'] = 'application/json';
    return headers;
  }

  /**
   * One request on the keep-alive agent. A request that the daemon reset on a reused idle socket is
   * sent once more on a fresh one (Node's documented remedy for the keep-alive race: the server
   * closed the idle connection as the agent handed it out, seen when a loaded host delays the
   * agent's own idle timer); a reset on a fresh connection is the daemon's and fails the call.
   */
  async call(method: string, path: string, options: CallOptions = {}): Promise<Reply> {
    try {
      return await this.callOnce(method, path, options, this.agent);
    } catch (err) {
      if ((err as { reusedSocket?: boolean }).reusedSocket !== true) throw err;
      return this.callOnce(method, path, options, false);
    }
  }

  private callOnce(method: string, path: string, options: CallOptions, agent: Agent | false): Promise<Reply> {
    const payload = options.body !== undefined ? JSON.stringify(options.body) : options.raw;
    return new Promise((resolve, reject) => {
      const req = httpRequest({ ...this.target(options.via ?? 'tcp'), agent, method, path, headers: this.headers(options) }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('error', reject);
        res.on('end', () => {
          const body = Buffer.concat(chunks);
          let json: Reply['json'] = {};
          try {
            json = JSON.parse(body.toString()) as Reply['json'];
          } catch {
            json = {};
          }
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body, json });
        });
      });
      req.on('error', (err: NodeJS.ErrnoException) => reject(err.code === 'ECONNRESET' && req.reusedSocket ? Object.assign(err, { reusedSocket: true }) : err));
      // A server that answers 413 before reading a large body closes the socket under the upload:
      // the answer has been read by then, and the failed write is no error of the test's.
      req.on('socket', (socket) => {
        if (quieted.has(socket)) return;
        quieted.add(socket);
        socket.on('error', () => undefined);
      });
      req.end(payload);
    });
  }

  /** Opens an event stream (GET, or POST with a body for exec/stream). */
  sse(method: string, path: string, options: CallOptions = {}): Promise<SseStream> {
    const payload = options.body !== undefined ? JSON.stringify(options.body) : undefined;
    const opened = Date.now();
    const events: SseEvent[] = [];
    const waiters = new Set<() => void>();
    return new Promise((resolve, reject) => {
      const req = httpRequest({ ...this.target(options.via ?? 'tcp'), agent: false, method, path, headers: this.headers(options) }, (res) => {
        if (res.statusCode !== 200) {
          reject(new Error(`event stream ${path}: status ${res.statusCode}`));
          res.resume();
          return;
        }
        const parser = createParser({
          onEvent: (e) => {
            events.push({ event: e.event ?? 'message', data: JSON.parse(e.data) as Record<string, unknown>, at: Date.now() - opened });
            for (const w of waiters) w();
          },
        });
        res.setEncoding('utf8');
        res.on('data', (c: string) => parser.feed(c));
        const ended = new Promise<void>((done) => {
          res.on('end', done);
          res.on('close', done);
        });
        resolve({
          events,
          ended,
          close: () => req.destroy(),
          waitFor: (match, ms = 15_000) =>
            new Promise((found, fail) => {
              const check = (): void => {
                const hit = events.find(match);
                if (hit) {
                  waiters.delete(check);
                  clearTimeout(timer);
                  found(hit);
                }
              };
              const timer = setTimeout(() => {
                waiters.delete(check);
                fail(new Error(`no matching event within ${ms} ms; got ${events.map((e) => e.event).join(',')}`));
              }, ms);
              waiters.add(check);
              check();
            }),
        });
      });
      req.on('error', reject);
      req.end(payload);
    });
  }

  /** Sends a signal and waits for the exit code. */
  async stop(signal: NodeJS.Signals = 'SIGTERM', timeoutMs = 60_000): Promise<number | null> {
    this.agent.destroy();
    if (this.child.exitCode !== null || this.child.signalCode !== null) return this.child.exitCode;
    const exited = new Promise<number | null>((resolve) => this.child.once('exit', (code) => resolve(code)));
    this.child.kill(signal);
    const timer = setTimeout(() => this.child.kill('SIGKILL'), timeoutMs);
    const code = await exited;
    clearTimeout(timer);
    return code;
  }

  cleanup(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}

export function runCli(args: readonly string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [CLI, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.once('exit', (code) => resolve({ code, stdout, stderr }));
  });
}
