// An in-memory SandboxBackend of FakeSandboxes, whose execs run a handful of emulated programs (no
// host process is ever started). It passes the backend conformance suite with FAKE_PROBES, so code
// written against the contract can be tested without root; a guard refuses its sandboxes.
import type { SandboxBackend, SandboxOptionsInput } from '../sandbox/backend.js';
import { parseSandboxOptions } from '../sandbox/backend.js';
import type { ConformanceProbes } from '../sandbox/backend-conformance.js';
import { decideDomain } from '../sandbox/network/domain-filter.js';
import type { SandboxObserver } from '../sandbox/observer.js';
import { FakeSandbox, type FakeExecContext, type FakeExecHandler, type FakeExecOutcome } from './fake-sandbox.js';

export interface FakeBackendOptions {
  readonly observer?: SandboxObserver;
  /** Answers execs; the emulated programs of fakePrograms when absent. */
  readonly exec?: FakeExecHandler;
}

export class FakeBackend implements SandboxBackend {
  readonly name = 'fake';
  private readonly sandboxes = new Map<string, FakeSandbox>();
  private created = 0;

  constructor(private readonly options: FakeBackendOptions = {}) {}

  async create(input: SandboxOptionsInput = {}): Promise<FakeSandbox> {
    const options = parseSandboxOptions(input);
    const observer = this.options.observer;
    const sandbox = new FakeSandbox({
      id: `fake-${++this.created}`,
      options,
      exec: this.options.exec ?? fakePrograms,
      ...(observer ? { observer } : {}),
      onDestroy: (id) => {
        this.sandboxes.delete(id);
        observer?.sandboxDestroyed?.(id);
      },
    });
    this.sandboxes.set(sandbox.id, sandbox);
    try {
      observer?.sandboxCreated?.(sandbox);
    } catch (err) {
      await sandbox.destroy(); // refused: destroyed before anything runs in it
      throw err;
    }
    return sandbox;
  }

  list(): FakeSandbox[] {
    return [...this.sandboxes.values()];
  }

  get(id: string): FakeSandbox | undefined {
    return this.sandboxes.get(id);
  }

  async close(): Promise<void> {
    await Promise.all(this.list().map((s) => s.destroy()));
  }
}

function sleepFor(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * The programs a FakeBackend's sandboxes know: `true`, `emit OUT ERR CODE`, `cat [PATH]`,
 * `zeros N`, `env`, `sleep SECONDS`, `spawn ROOT CHILD...` (a detached process tree) and
 * `fetch URL` (a request through a pretend egress proxy that applies the domain policy).
 */
export const fakePrograms: FakeExecHandler = async (argv, options, ctx) => {
  const [program = '', ...args] = argv;
  switch (program) {
    case 'true':
      return {};
    case 'emit':
      return { stdout: `${args[0] ?? ''}\n`, stderr: `${args[1] ?? ''}\n`, exitCode: Number(args[2] ?? 0) };
    case 'cat':
      return cat(args[0], options.stdin, ctx);
    case 'zeros':
      return { stdout: Buffer.alloc(Number(args[0] ?? 0)) };
    case 'env':
      return { stdout: Object.entries(ctx.env).map(([k, v]) => `${k}=${v}\n`).join('') };
    case 'sleep': {
      const ms = Number(args[0] ?? 0) * 1000;
      if (options.timeoutMs !== undefined && options.timeoutMs < ms) {
        await sleepFor(options.timeoutMs);
        return { exitCode: null, signal: 'SIGKILL', timedOut: true };
      }
      await sleepFor(ms);
      return {};
    }
    case 'spawn': {
      const [root, ...children] = args;
      const pid = ctx.sandbox.spawn([root ?? 'daemon'], ctx.step);
      for (const child of children) ctx.sandbox.spawn([child], ctx.step, pid);
      return {};
    }
    case 'fetch':
      return fetch(args[0] ?? '', ctx);
    default:
      return { exitCode: 127, stderr: `${program}: not emulated by FakeBackend\n` };
  }
};

function cat(path: string | undefined, stdin: string | Buffer | undefined, ctx: FakeExecContext): FakeExecOutcome {
  if (path === undefined) return { stdout: stdin ?? '' };
  const data = ctx.sandbox.files.get(path);
  return data === undefined ? { exitCode: 1, stderr: `cat: ${path}: No such file or directory\n` } : { stdout: data };
}

function fetch(url: string, ctx: FakeExecContext): FakeExecOutcome {
  const { hostname, port } = new URL(url);
  const portNumber = port === '' ? 80 : Number(port);
  const { options } = ctx.sandbox.info();
  const verdict = decideDomain({ allow: options.allowDomains, deny: options.denyDomains }, hostname, portNumber);
  ctx.sandbox.recordNetwork({
    kind: 'proxy-decision',
    sandboxId: ctx.sandbox.id,
    connectionId: ctx.sandbox.networkEvents().length + 1,
    clientPort: null,
    time: Date.now(),
    method: 'HTTP',
    host: hostname,
    port: portNumber,
    decision: verdict.allowed ? 'allowed' : 'denied',
    reason: verdict.reason,
    bytesOut: 0,
    bytesIn: 0,
    resolvedAddress: null,
    addressClass: null,
    error: null,
  });
  return { stdout: verdict.allowed ? '200' : '403' };
}

/** The conformance suite's probes in the fake's programs. */
export const FAKE_PROBES: ConformanceProbes = {
  outErrExit3: ['emit', 'out', 'err', '3'],
  succeed: ['true'],
  catStdin: ['cat'],
  zeros: (bytes) => ['zeros', String(bytes)],
  printEnv: ['env'],
  cat: (path) => ['cat', path],
  sleep: (seconds) => ['sleep', String(seconds)],
  daemonTree: (tag) => ({ argv: ['spawn', `root-${tag}`, `child-${tag}-1`, `child-${tag}-2`], root: `root-${tag}`, children: [`child-${tag}-1`, `child-${tag}-2`] }),
  fetchBlocked: ['fetch', 'http://blocked.invalid/'],
};
