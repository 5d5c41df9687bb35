// An in-memory Sandbox for the agent's tests: files in a map, execs answered by a handler the test
// gives. It never runs anything on the host: model-chosen commands must only ever run in a sandbox.
import type { ExecOptions, ExecResult, Sandbox, SandboxInfo, SandboxProcess } from '../sandbox/backend.js';
import { SandboxOptionsSchema } from '../sandbox/backend.js';
import type { NetworkEvent } from '../sandbox/network/network-events.js';
import { PraetorError } from '../core/errors.js';

export interface FakeExecOutcome {
  exitCode?: number | null;
  signal?: string | null;
  stdout?: string | Buffer;
  stderr?: string | Buffer;
  timedOut?: boolean;
}

export type FakeExecHandler = (argv: readonly string[], options: ExecOptions) => FakeExecOutcome | Promise<FakeExecOutcome>;

export interface FakeSandboxOptions {
  readonly id?: string;
  readonly files?: Readonly<Record<string, string | Buffer>>;
  /** Answers execs; by default every exec exits 127 ("not emulated"). */
  readonly exec?: FakeExecHandler;
}

export class FakeSandbox implements Sandbox {
  readonly id: string;
  readonly files = new Map<string, Buffer>();
  /** Every exec, in order, with the options it was given. */
  readonly execs: { argv: readonly string[]; options: ExecOptions }[] = [];
  /** When set, every operation throws it: how praetor refuses (policy-denied, sandbox-not-found). */
  refusal: PraetorError | null = null;
  private steps = 0;
  private readonly handler: FakeExecHandler;
  private readonly createdAt = Date.now();

  constructor(options: FakeSandboxOptions = {}) {
    this.id = options.id ?? 'fake-sandbox';
    for (const [path, data] of Object.entries(options.files ?? {})) this.files.set(path, Buffer.from(data));
    this.handler = options.exec ?? ((argv) => ({ exitCode: 127, stderr: `${argv[0] ?? ''}: not emulated by FakeSandbox\n` }));
  }

  info(): SandboxInfo {
    return { id: this.id, backend: 'fake', createdAt: this.createdAt, options: SandboxOptionsSchema.parse({}), steps: this.steps };
  }

  async exec(argv: readonly string[], options: ExecOptions = {}): Promise<ExecResult> {
    this.check();
    const step = ++this.steps;
    this.execs.push({ argv: [...argv], options });
    const outcome = await this.handler(argv, options);
    const cap = options.maxOutputBytes ?? Number.POSITIVE_INFINITY;
    const stdout = Buffer.from(outcome.stdout ?? '');
    const stderr = Buffer.from(outcome.stderr ?? '');
    return {
      step,
      exitCode: outcome.exitCode === undefined ? 0 : outcome.exitCode,
      signal: outcome.signal ?? null,
      stdout: stdout.subarray(0, cap),
      stderr: stderr.subarray(0, cap),
      stdoutTruncated: stdout.length > cap,
      stderrTruncated: stderr.length > cap,
      timedOut: outcome.timedOut ?? false,
      durationMs: 1,
    };
  }

  // Each file operation counts as a step, as the local backend runs them as execs.
  readFile(path: string): Promise<Buffer> {
    return this.settle(() => {
      this.steps++;
      const data = this.files.get(path);
      if (data !== undefined) return Buffer.from(data);
      const isDir = [...this.files.keys()].some((p) => p.startsWith(`${path}/`));
      throw new PraetorError('sandbox-failure', `read ${path}: cat: ${path}: ${isDir ? 'Is a directory' : 'No such file or directory'}`);
    });
  }

  writeFile(path: string, data: string | Buffer): Promise<void> {
    return this.settle(() => {
      this.steps++;
      this.files.set(path, Buffer.from(data));
    });
  }

  processes(): Promise<SandboxProcess[]> {
    return this.settle(() => []);
  }

  networkEvents(): readonly NetworkEvent[] {
    return [];
  }

  onNetworkEvent(_listener: (event: NetworkEvent) => void): () => void {
    return () => undefined;
  }

  flushNetworkEvents(): Promise<void> {
    return Promise.resolve();
  }

  destroy(): Promise<void> {
    this.refusal = new PraetorError('sandbox-not-found', `sandbox ${this.id} is destroyed`);
    return Promise.resolve();
  }

  /** Runs `op` after the refusal check; a throw becomes a rejection, as from a real backend. */
  private settle<T>(op: () => T): Promise<T> {
    return new Promise((resolve) => {
      this.check();
      resolve(op());
    });
  }

  private check(): void {
    if (this.refusal !== null) throw this.refusal;
  }
}
