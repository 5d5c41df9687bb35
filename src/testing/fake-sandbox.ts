// An in-memory Sandbox for tests: files in a map, execs answered by a handler the test gives,
// processes in a table the handler fills. It never runs anything on the host: model-chosen
// commands must only ever run in a sandbox. It implements the whole contract (fake-backend.ts runs
// it through the backend conformance suite), and is never watchable: a guard refuses it.
import type { ExecOptions, ExecResult, Sandbox, SandboxInfo, SandboxOptions, SandboxProcess } from '../sandbox/backend.js';
import { SandboxOptionsSchema } from '../sandbox/backend.js';
import type { NetworkEvent } from '../sandbox/network/network-events.js';
import type { SandboxObserver } from '../sandbox/observer.js';
import { PraetorError } from '../core/errors.js';

export interface FakeExecOutcome {
  exitCode?: number | null;
  signal?: string | null;
  stdout?: string | Buffer;
  stderr?: string | Buffer;
  timedOut?: boolean;
}

/** What a handler knows of the exec it answers, beyond argv and options. */
export interface FakeExecContext {
  readonly sandbox: FakeSandbox;
  readonly step: number;
  /** The sandbox's environment with the exec's on top, as a real exec would see it. */
  readonly env: Readonly<Record<string, string>>;
}

export type FakeExecHandler = (argv: readonly string[], options: ExecOptions, ctx: FakeExecContext) => FakeExecOutcome | Promise<FakeExecOutcome>;

export interface FakeSandboxOptions {
  readonly id?: string;
  readonly files?: Readonly<Record<string, string | Buffer>>;
  /** Answers execs; by default every exec exits 127 ("not emulated"). */
  readonly exec?: FakeExecHandler;
  /** The options it was created with (a FakeBackend's parsed ones); the defaults when absent. */
  readonly options?: SandboxOptions;
  /** Hooks called as a backend's would be (steps); the backend calls the created/destroyed ones. */
  readonly observer?: SandboxObserver;
  /** Called once, when the sandbox is destroyed (its backend's bookkeeping). */
  readonly onDestroy?: (id: string) => void;
}

interface FakeProcess extends SandboxProcess {
  readonly ppid: number | null;
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
  private readonly options: SandboxOptions;
  private readonly running = new Set<number>();
  private readonly table = new Map<number, FakeProcess>();
  private nextPid = 1000;
  private readonly events: NetworkEvent[] = [];
  private readonly listeners = new Set<(event: NetworkEvent) => void>();
  /** Resolves when the sandbox is thawed; null while it is not frozen. */
  private frozen: { promise: Promise<void>; thaw: () => void } | null = null;
  private readonly holds = new Set<string>();
  private destroyed = false;

  constructor(private readonly setup: FakeSandboxOptions = {}) {
    this.id = setup.id ?? 'fake-sandbox';
    this.options = setup.options ?? SandboxOptionsSchema.parse({});
    for (const [path, data] of Object.entries(setup.files ?? {})) this.files.set(path, Buffer.from(data));
    this.handler = setup.exec ?? ((argv) => ({ exitCode: 127, stderr: `${argv[0] ?? ''}: not emulated by FakeSandbox\n` }));
  }

  info(): SandboxInfo {
    return { id: this.id, backend: 'fake', createdAt: this.createdAt, options: this.options, steps: this.steps };
  }

  async exec(argv: readonly string[], options: ExecOptions = {}): Promise<ExecResult> {
    this.check();
    if (argv.length === 0) throw new PraetorError('usage', 'exec needs a command');
    const step = ++this.steps;
    this.execs.push({ argv: [...argv], options });
    this.running.add(step);
    this.setup.observer?.stepStarted?.(this.id, step, argv);
    try {
      await this.frozen?.promise; // nothing runs in a frozen sandbox
      const started = performance.now();
      const outcome = await this.handler(argv, options, { sandbox: this, step, env: { ...this.options.env, ...options.env } });
      const stdout = Buffer.from(outcome.stdout ?? '');
      const stderr = Buffer.from(outcome.stderr ?? '');
      if (stdout.length > 0) options.onStdout?.(stdout);
      if (stderr.length > 0) options.onStderr?.(stderr);
      const cap = options.maxOutputBytes ?? Number.POSITIVE_INFINITY;
      const result: ExecResult = {
        step,
        exitCode: outcome.exitCode === undefined ? 0 : outcome.exitCode,
        signal: outcome.signal ?? null,
        stdout: stdout.subarray(0, cap),
        stderr: stderr.subarray(0, cap),
        stdoutTruncated: stdout.length > cap,
        stderrTruncated: stderr.length > cap,
        timedOut: outcome.timedOut ?? false,
        durationMs: Math.max(1, performance.now() - started),
      };
      this.setup.observer?.stepEnded?.(this.id, step, result);
      return result;
    } finally {
      this.running.delete(step);
    }
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

  /** Starts a pretend process (for handlers): it lives until killed or the sandbox goes. */
  spawn(argv: readonly string[], step: number | null, ppid: number | null = null): number {
    const pid = this.nextPid++;
    this.table.set(pid, { pid, step, argv: [...argv], ppid });
    return pid;
  }

  processes(): Promise<SandboxProcess[]> {
    return this.settle(() => [...this.table.values()].map(({ pid, step, argv }) => ({ pid, step, argv })));
  }

  /** Records a network event (for handlers), as a backend's proxy or firewall would. */
  recordNetwork(event: NetworkEvent): void {
    this.events.push(event);
    for (const l of this.listeners) l(event);
  }

  networkEvents(): readonly NetworkEvent[] {
    return this.events;
  }

  onNetworkEvent(listener: (event: NetworkEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  flushNetworkEvents(): Promise<void> {
    return Promise.resolve(); // events are recorded synchronously
  }

  runningSteps(): ReadonlySet<number> {
    return this.running;
  }

  killStep(step: number): Promise<void> {
    return this.settle(() => {
      for (const p of [...this.table.values()]) if (p.step === step) this.table.delete(p.pid);
    });
  }

  killProcessTree(pid: number): Promise<number[]> {
    return this.settle(() => {
      if (!this.table.has(pid)) return [];
      const killed = [pid];
      for (let i = 0; i < killed.length; i++) {
        for (const p of this.table.values()) if (p.ppid === killed[i]) killed.push(p.pid);
      }
      for (const victim of killed) this.table.delete(victim);
      return killed;
    });
  }

  setFrozen(frozen: boolean): Promise<void> {
    return this.settle(() => this.setHold('frozen', frozen));
  }

  hold(reason: string): Promise<void> {
    return this.settle(() => this.setHold(reason, true));
  }

  release(reason: string): Promise<void> {
    return this.settle(() => this.setHold(reason, false));
  }

  /** As LocalSandbox: the sandbox runs only when no hold is left (setFrozen(true) is one of them). */
  private setHold(reason: string, on: boolean): void {
    if (on) this.holds.add(reason);
    else this.holds.delete(reason);
    if (this.holds.size > 0 && this.frozen === null) {
      let thaw: () => void = () => undefined;
      const promise = new Promise<void>((resolve) => (thaw = resolve));
      this.frozen = { promise, thaw };
    } else if (this.holds.size === 0 && this.frozen !== null) {
      this.frozen.thaw();
      this.frozen = null;
    }
  }

  watchable(): null {
    return null; // nothing of it lives on the host for a monitor to see
  }

  get isDestroyed(): boolean {
    return this.destroyed;
  }

  destroy(): Promise<void> {
    if (this.destroyed) return Promise.resolve();
    this.destroyed = true;
    this.refusal = new PraetorError('sandbox-not-found', `sandbox ${this.id} is destroyed`);
    this.table.clear();
    this.holds.clear();
    this.frozen?.thaw();
    this.frozen = null;
    this.setup.onDestroy?.(this.id);
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
