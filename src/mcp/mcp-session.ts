// What one MCP session may do with guarded sandboxes. Every operation goes through the service's
// SandboxService, the same path as the HTTP API (exec as a step, its alerts and the guard's actions
// collected after the guard settles), checked against the session's key. A session remembers the
// sandboxes it created and destroys them when it ends; tools called without a sandbox id use the
// session's current one, created on first use.
import type { ExecResult } from '../sandbox/backend.js';
import { ApiError } from '../service/api-error.js';
import { scopeAllows, type Principal } from '../service/auth.js';
import type { SandboxService } from '../service/sandbox-service.js';
import type { ServiceSandbox } from '../service/service-sandbox.js';
import { DEFAULT_EXEC_TIMEOUT_MS, SandboxCreateSchema, type ExecBody, type ExecResultView, type SandboxCreate, type SandboxView } from '../service/sandbox-schemas.js';
import { fileFailure, listDirArgv, parseDirListing, readFileArgv, sandboxPath, writeFileArgv, type FileEntry } from '../service/sandbox-files.js';

export interface McpSessionOptions {
  readonly sandboxes: SandboxService;
  readonly principal: Principal;
  /** Options of the sandbox made for a tool called without one (default: the service's defaults). */
  readonly defaults?: SandboxCreate;
  /** Largest file read_file returns (default 8 MiB: the result travels as one JSON-RPC message). */
  readonly maxFileBytes?: number;
}

/** A step's record as the tools report it: the sandbox, and what the service's exec answers. */
export interface StepReport extends ExecResultView {
  readonly sandbox: string;
}

export type FileStep = Omit<StepReport, 'stdout' | 'stdoutTruncated'>;

const FILE_TIMEOUT_MS = 120_000;
const DEFAULT_MAX_FILE = 8 * 2 ** 20;

export class McpSandboxSession {
  private readonly created = new Set<string>();
  private current: string | null = null;
  private pending: Promise<ServiceSandbox> | null = null;
  private closed = false;

  constructor(private readonly options: McpSessionOptions) {}

  get principal(): Principal {
    return this.options.principal;
  }

  /** Ids of the sandboxes this session created and has not destroyed. */
  get owned(): readonly string[] {
    return [...this.created];
  }

  async create(body: SandboxCreate): Promise<SandboxView> {
    const record = await this.createRecord(body);
    return this.options.sandboxes.view(record);
  }

  list(): SandboxView[] {
    this.allow('GET');
    const { sandboxes } = this.options;
    return sandboxes.list(this.principal).map((s) => ({ ...sandboxes.view(s), ...(s.id === this.current ? { current: true } : {}) }));
  }

  async exec(id: string | undefined, body: ExecBody): Promise<StepReport> {
    this.allow('POST');
    const record = await this.target(id);
    const result = await this.options.sandboxes.exec(this.principal, record.id, body);
    return { sandbox: record.id, ...result };
  }

  async readFile(id: string | undefined, path: string): Promise<{ data: Buffer; step: FileStep }> {
    this.allow('GET');
    const record = await this.target(id);
    const where = sandboxPath(path);
    const max = this.options.maxFileBytes ?? DEFAULT_MAX_FILE;
    const { raw, view } = await this.fileStep(record, 'read_file', readFileArgv(where), { maxOutputBytes: max + 1 });
    if (raw.exitCode !== 0) throw fileFailure(raw, where);
    if (raw.stdoutTruncated || raw.stdout.length > max) throw new ApiError(413, 'too-large', `${where}: larger than ${max} bytes`);
    return { data: raw.stdout, step: view };
  }

  async writeFile(id: string | undefined, path: string, data: Buffer): Promise<FileStep & { path: string; bytes: number }> {
    this.allow('POST');
    const record = await this.target(id);
    const where = sandboxPath(path);
    if (where === '/workspace' || where === '/tmp') throw new ApiError(400, 'invalid-path', `path: ${where} is a directory`);
    const { raw, view } = await this.fileStep(record, 'write_file', writeFileArgv(where), { maxOutputBytes: 4096, stdin: data });
    if (raw.exitCode !== 0) throw fileFailure(raw, where);
    return { ...view, path: where, bytes: data.length };
  }

  async listFiles(id: string | undefined, path: string): Promise<FileStep & { path: string; entries: FileEntry[] }> {
    this.allow('GET');
    const record = await this.target(id);
    const where = sandboxPath(path);
    const { raw, view } = await this.fileStep(record, 'list_files', listDirArgv(where), { maxOutputBytes: 64 * 2 ** 20 });
    if (raw.exitCode !== 0) throw fileFailure(raw, where);
    return { ...view, path: where, entries: parseDirListing(raw.stdout) };
  }

  /** The sandbox's alerts (of one step, when given) and the guard's actions on them. */
  alerts(id: string | undefined, step?: number): Pick<ExecResultView, 'alerts' | 'actions'> & { sandbox: string } {
    this.allow('GET');
    const sandbox = id ?? this.current;
    if (sandbox === null) throw new ApiError(404, 'not-found', 'no sandbox yet: name one, or create one with sandbox_create or exec');
    return { sandbox, ...this.options.sandboxes.alerts(this.principal, sandbox, step) };
  }

  async destroy(id: string | undefined): Promise<string> {
    this.allow('POST');
    const sandbox = id ?? this.current;
    if (sandbox === null) throw new ApiError(404, 'not-found', 'no sandbox to destroy');
    await this.options.sandboxes.destroy(this.principal, sandbox);
    this.forget(sandbox);
    return sandbox;
  }

  /** The session ended: every sandbox it created is destroyed, and it takes no more calls. */
  async close(): Promise<void> {
    this.closed = true;
    await this.pending?.catch(() => undefined);
    const ids = [...this.created];
    this.created.clear();
    this.current = null;
    await Promise.allSettled(ids.map((id) => this.options.sandboxes.destroy(this.principal, id)));
  }

  private allow(method: 'GET' | 'POST'): void {
    if (this.closed) throw new ApiError(409, 'session-closed', 'this MCP session has ended');
    const { scope } = this.principal;
    if (!scopeAllows(scope, 'sandboxes', method)) {
      throw new ApiError(403, 'forbidden', `a key with scope "${scope}" may not ${method === 'GET' ? 'read' : 'change'} sandboxes`);
    }
  }

  private async createRecord(body: SandboxCreate): Promise<ServiceSandbox> {
    this.allow('POST');
    const record = await this.options.sandboxes.create(this.principal, body);
    if (this.closed) {
      // the session ended while this one was being made: nothing is left behind
      await this.options.sandboxes.destroy(this.principal, record.id).catch(() => undefined);
      throw new ApiError(409, 'session-closed', 'this MCP session has ended');
    }
    this.created.add(record.id);
    this.current = record.id;
    return record;
  }

  /** The named sandbox (the caller's own, running), or the session's current one, made when there is none. */
  private async target(id: string | undefined): Promise<ServiceSandbox> {
    const { sandboxes } = this.options;
    if (id !== undefined) return sandboxes.usable(this.principal, id);
    if (this.current !== null) {
      // A current sandbox the guard froze or terminated answers 409, as a named one would: the
      // session does not quietly start over in a fresh sandbox. One removed through the API is gone.
      try {
        return sandboxes.usable(this.principal, this.current);
      } catch (err) {
        if (!(err instanceof ApiError && err.status === 404)) throw err;
        this.forget(this.current);
      }
    }
    // concurrent calls without a sandbox share the one being made
    this.pending ??= this.createRecord(this.options.defaults ?? SandboxCreateSchema.parse({})).finally(() => (this.pending = null));
    return this.pending;
  }

  private forget(id: string): void {
    this.created.delete(id);
    if (this.current === id) this.current = null;
  }

  /** A file operation as a step of its own (it shows in the sandbox's steps and alerts like any exec). */
  private async fileStep(
    record: ServiceSandbox,
    kind: string,
    argv: readonly string[],
    options: { maxOutputBytes: number; stdin?: Buffer },
  ): Promise<{ raw: ExecResult; view: FileStep }> {
    let raw: ExecResult | undefined;
    const view = await this.options.sandboxes.step(record, kind, async (sandbox) => {
      raw = await sandbox.exec(argv, { cwd: '/', timeoutMs: Math.min(FILE_TIMEOUT_MS, DEFAULT_EXEC_TIMEOUT_MS), ...options });
      return raw;
    });
    if (raw === undefined) throw new ApiError(500, 'internal', `${kind}: the step returned no result`);
    const { stdout: _stdout, stdoutTruncated: _truncated, ...rest } = view;
    return { raw, view: { sandbox: record.id, ...rest } };
  }
}
