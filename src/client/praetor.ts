// The TypeScript client of praetord: `new Praetor()` finds the daemon as the CLI does
// (PRAETOR_HOST, else the default socket) and speaks its API; see API-CONTRACT.md and /docs.
import { PraetorApiError } from './errors.js';
import { EnvHandle } from './env-handle.js';
import { SandboxHandle, execBody, execEvents, runEvents, type ExecInput } from './sandbox-handle.js';
import { DEFAULT_SOCKET, parseHost, type DaemonTarget } from './target.js';
import { Transport } from './transport.js';
import type {
  ApiKeyCreated,
  ApiKeyInfo,
  EnvTask,
  EventType,
  ExecEvent,
  ExecRequest,
  ExecResult,
  KeyScope,
  PraetorEvent,
  RunEvent,
  SandboxCreateOptions,
  SandboxRecord,
} from './types.js';

export interface PraetorOptions {
  /** `unix:/path/to.sock` or `http(s)://host:port`; default `PRAETOR_HOST`, else the default socket. */
  readonly host?: string;
  /** Bearer key; default `PRAETOR_API_KEY`. Needed over TCP. */
  readonly apiKey?: string;
}

export interface CreateSandboxInput extends SandboxCreateOptions {
  /** A tar of the workspace; sent as `workspaceTar`. */
  readonly workspace?: Buffer;
}

export interface RunOptions extends Omit<ExecRequest, 'command'> {
  /** Options of the sandbox made for the command. */
  readonly sandbox?: CreateSandboxInput;
  readonly signal?: AbortSignal;
}

export interface EventsOptions {
  readonly sandbox?: string;
  readonly types?: readonly EventType[];
  readonly signal?: AbortSignal;
}

/** The target `options.host`, `PRAETOR_HOST` or the default socket names. */
export function resolveTarget(host: string | undefined = process.env.PRAETOR_HOST): DaemonTarget {
  if (host === undefined || host === '') return { kind: 'unix', socketPath: DEFAULT_SOCKET };
  const target = parseHost(host);
  if (target === null) throw new PraetorApiError(0, 'bad-host', `not a daemon address: "${host}" (use unix:/path or http://host:port)`);
  return target;
}

export class Praetor {
  private readonly transport: Transport;

  constructor(options: PraetorOptions = {}) {
    const apiKey = options.apiKey ?? process.env.PRAETOR_API_KEY;
    this.transport = new Transport({ target: resolveTarget(options.host), ...(apiKey ? { apiKey } : {}) });
  }

  get target(): DaemonTarget {
    return this.transport.target;
  }

  readonly sandboxes = {
    create: async (options: CreateSandboxInput = {}): Promise<SandboxHandle> => {
      const { workspace, ...rest } = options;
      const body = workspace !== undefined ? { ...rest, workspaceTar: workspace.toString('base64') } : rest;
      return new SandboxHandle(this.transport, await this.transport.json<SandboxRecord>('POST', '/v1/sandboxes', { body }));
    },
    list: async (): Promise<SandboxRecord[]> => (await this.transport.json<{ sandboxes: SandboxRecord[] }>('GET', '/v1/sandboxes')).sandboxes,
    get: async (id: string): Promise<SandboxHandle> =>
      new SandboxHandle(this.transport, await this.transport.json<SandboxRecord>('GET', `/v1/sandboxes/${encodeURIComponent(id)}`)),
    /** A handle without a round trip, for an id known to exist. */
    handle: (id: string): SandboxHandle =>
      new SandboxHandle(this.transport, { id, owner: '', createdAt: 0, state: 'running', options: {} }),
    exec: (id: string, command: ExecInput, options: Omit<ExecRequest, 'command'> = {}): Promise<ExecResult> =>
      this.transport.json('POST', `/v1/sandboxes/${encodeURIComponent(id)}/exec`, { body: execBody(command, options) }),
    execStream: (id: string, command: ExecInput, options: Omit<ExecRequest, 'command'> = {}): AsyncGenerator<ExecEvent> =>
      execEvents(this.transport.events('POST', `/v1/sandboxes/${encodeURIComponent(id)}/exec/stream`, { body: execBody(command, options) })),
    destroy: async (id: string): Promise<void> => {
      await this.transport.json('DELETE', `/v1/sandboxes/${encodeURIComponent(id)}`);
    },
    /**
     * One command in a sandbox made for it, in one call: yields the sandbox's id, then the step's
     * events; the daemon destroys the sandbox after the exit, or when the caller stops reading.
     */
    run: (command: ExecInput, options: RunOptions = {}): AsyncGenerator<RunEvent> => {
      const { sandbox, signal, ...exec } = options;
      const { workspace, ...rest } = sandbox ?? {};
      const body = { ...execBody(command, exec), ...(sandbox !== undefined ? { sandbox: workspace !== undefined ? { ...rest, workspaceTar: workspace.toString('base64') } : rest } : {}) };
      return runEvents(this.transport.events('POST', '/v1/run', { body, ...(signal ? { signal } : {}) }));
    },
  };

  readonly envs = {
    /** Registers a task; nothing is created until `reset()`. */
    create: async (task: EnvTask): Promise<EnvHandle> => {
      const { id } = await this.transport.json<{ id: string }>('POST', '/v1/envs', { body: { task } });
      return new EnvHandle(this.transport, id);
    },
    handle: (id: string): EnvHandle => new EnvHandle(this.transport, id),
  };

  readonly episodes = {
    list: async (limit?: number): Promise<Record<string, unknown>[]> =>
      (await this.transport.json<{ episodes: Record<string, unknown>[] }>('GET', '/v1/episodes', { query: { limit: limit?.toString() } })).episodes,
    get: (id: string): Promise<{ episode: Record<string, unknown>; steps: Record<string, unknown>[] }> =>
      this.transport.json('GET', `/v1/episodes/${encodeURIComponent(id)}`),
  };

  /** Admin scope. */
  readonly keys = {
    create: (input: { name: string; scope: KeyScope; quotas?: Record<string, number> }): Promise<ApiKeyCreated> =>
      this.transport.json('POST', '/v1/keys', { body: input }),
    list: async (): Promise<ApiKeyInfo[]> => (await this.transport.json<{ keys: ApiKeyInfo[] }>('GET', '/v1/keys')).keys,
    revoke: async (id: string): Promise<void> => {
      await this.transport.json('DELETE', `/v1/keys/${encodeURIComponent(id)}`);
    },
  };

  /** Alerts, guard actions, network decisions and steps as they happen, for what this key may see. */
  async *events(options: EventsOptions = {}): AsyncGenerator<PraetorEvent> {
    const query = { sandbox: options.sandbox, types: options.types?.join(',') };
    for await (const e of this.transport.events('GET', '/v1/events', { query, ...(options.signal ? { signal: options.signal } : {}) })) {
      let parsed: Record<string, unknown>;
      try {
        parsed = JSON.parse(e.data) as Record<string, unknown>;
      } catch {
        continue; // not an event of ours
      }
      yield { ...parsed, type: typeof parsed.type === 'string' ? parsed.type : e.event } as PraetorEvent;
    }
  }

  /** True when the daemon answers /healthz. */
  async healthy(): Promise<boolean> {
    try {
      await this.transport.json('GET', '/healthz');
      return true;
    } catch {
      return false;
    }
  }

  /** Drops kept connections (idle ones never hold the process open). */
  close(): void {
    this.transport.close();
  }
}
