// One sandbox seen through the API: exec (whole or streamed), sessions, files, archive,
// freeze/thaw, destroy. Holds the id and the transport, nothing else.
import { PraetorApiError } from './errors.js';
import type { CallOptions, Transport } from './transport.js';
import type { Alert, ExecEvent, ExecRequest, ExecResult, FileEntry, GuardAction, RunEvent, SandboxRecord, SessionOptions } from './types.js';

export type ExecInput = string | readonly string[] | ExecRequest;

export function execBody(input: ExecInput, extra: Omit<ExecRequest, 'command'> = {}): ExecRequest {
  if (typeof input === 'string' || Array.isArray(input)) return { ...extra, command: input as string | readonly string[] };
  return { ...(input as ExecRequest), ...extra };
}

/** Parses the events of an exec stream; unknown event names are skipped (newer daemons may add some). */
export function execEvents(stream: AsyncIterable<{ event: string; data: string }>): AsyncGenerator<ExecEvent> {
  return stepEvents(stream, false) as AsyncGenerator<ExecEvent>;
}

/** The same for a one-shot run, whose first event names the sandbox made for it. */
export function runEvents(stream: AsyncIterable<{ event: string; data: string }>): AsyncGenerator<RunEvent> {
  return stepEvents(stream, true);
}

async function* stepEvents(stream: AsyncIterable<{ event: string; data: string }>, withSandbox: boolean): AsyncGenerator<RunEvent> {
  for await (const e of stream) {
    const data = JSON.parse(e.data) as Record<string, unknown>;
    switch (e.event) {
      case 'sandbox':
        if (withSandbox && typeof data.id === 'string') yield { type: 'sandbox', id: data.id };
        break;
      case 'stdout':
      case 'stderr':
        yield { type: e.event, data: typeof data.data === 'string' ? data.data : '', ...(typeof data.bytes === 'string' ? { bytes: Buffer.from(data.bytes, 'base64') } : {}) };
        break;
      case 'alert':
        yield { type: 'alert', alert: data as never };
        break;
      case 'action':
        yield { type: 'action', action: data as never };
        break;
      case 'exit':
        yield { type: 'exit', result: data as never };
        return;
      case 'error':
        throw new PraetorApiError(0, typeof data.code === 'string' ? data.code : 'exec-failed', typeof data.message === 'string' ? data.message : 'the step failed');
      default:
        break;
    }
  }
  throw new PraetorApiError(0, 'stream-ended', 'the exec stream ended before the command exited');
}

/** A persistent bash in the sandbox: cwd and exported variables carry from one command to the next. */
export class SessionHandle {
  constructor(
    private readonly transport: Transport,
    readonly sandboxId: string,
    readonly id: string,
  ) {}

  exec(command: string, options: { timeoutMs?: number; maxOutputBytes?: number } = {}): Promise<ExecResult> {
    return this.transport.json('POST', `${this.base()}/exec`, { body: { command, ...options } });
  }

  async close(): Promise<void> {
    await this.transport.json('DELETE', this.base());
  }

  private base(): string {
    return `/v1/sandboxes/${encodeURIComponent(this.sandboxId)}/sessions/${encodeURIComponent(this.id)}`;
  }
}

export class SandboxHandle {
  constructor(
    private readonly transport: Transport,
    /** The record as last fetched (create, get, freeze, thaw, refresh). */
    public record: SandboxRecord,
  ) {}

  get id(): string {
    return this.record.id;
  }

  /** Runs a command as the sandbox's next step and returns when it ends. */
  exec(command: ExecInput, options: Omit<ExecRequest, 'command'> = {}): Promise<ExecResult> {
    return this.transport.json('POST', `${this.base()}/exec`, { body: execBody(command, options) });
  }

  /** The same, as events while it runs: stdout, stderr, alerts and actions, then `exit`. */
  execStream(command: ExecInput, options: Omit<ExecRequest, 'command'> & { signal?: AbortSignal } = {}): AsyncGenerator<ExecEvent> {
    const { signal, ...rest } = options;
    const call: CallOptions = { body: execBody(command, rest), ...(signal ? { signal } : {}) };
    return execEvents(this.transport.events('POST', `${this.base()}/exec/stream`, call));
  }

  /** Opens a persistent bash: cd and export carry from one command to the next. */
  async createSession(options: SessionOptions = {}): Promise<SessionHandle> {
    const { session } = await this.transport.json<{ session: string }>('POST', `${this.base()}/sessions`, { body: options });
    return new SessionHandle(this.transport, this.id, session);
  }

  session(id: string): SessionHandle {
    return new SessionHandle(this.transport, this.id, id);
  }

  readonly files = {
    read: (path: string): Promise<Buffer> => this.transport.bytes('GET', `${this.base()}/files`, { query: { path } }),
    write: async (path: string, data: Buffer | string): Promise<void> => {
      await this.transport.json('PUT', `${this.base()}/files`, { query: { path }, raw: data });
    },
    list: async (path: string): Promise<FileEntry[]> =>
      (await this.transport.json<{ entries: FileEntry[] }>('GET', `${this.base()}/files/list`, { query: { path } })).entries,
  };

  readonly archive = {
    /** Unpacks a tar into `dir` (inside /workspace or /tmp). */
    upload: async (dir: string, tar: Buffer): Promise<void> => {
      await this.transport.json('PUT', `${this.base()}/archive`, { query: { path: dir }, raw: tar, contentType: 'application/x-tar' });
    },
    /** `dir` as a tar. */
    download: (dir: string): Promise<Buffer> => this.transport.bytes('GET', `${this.base()}/archive`, { query: { path: dir } }),
  };

  /** The alerts the guard tied to this sandbox (to one step when given) and what it did about them. */
  alerts(step?: number): Promise<{ alerts: Alert[]; actions: GuardAction[] }> {
    return this.transport.json('GET', `${this.base()}/alerts`, { query: { step: step?.toString() } });
  }

  async freeze(): Promise<SandboxRecord> {
    this.record = await this.transport.json<SandboxRecord>('POST', `${this.base()}/freeze`);
    return this.record;
  }

  async thaw(): Promise<SandboxRecord> {
    this.record = await this.transport.json<SandboxRecord>('POST', `${this.base()}/thaw`);
    return this.record;
  }

  async refresh(): Promise<SandboxRecord> {
    this.record = await this.transport.json<SandboxRecord>('GET', this.base());
    return this.record;
  }

  async destroy(): Promise<void> {
    await this.transport.json('DELETE', this.base());
  }

  private base(): string {
    return `/v1/sandboxes/${encodeURIComponent(this.id)}`;
  }
}
