// A long-lived native/praetor-spawner process that starts execs for praetor: node's own spawn
// forks all of praetor on the main thread (~4.5 ms an exec); the spawner's vfork does not. A
// sandbox's own spawner also enters the sandbox for each step, without an exec of praetor-spawn.
// Output comes back as frames over one pipe; a dead spawner fails its execs and is restarted.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { constants } from 'node:os';
import { dirname, join } from 'node:path';
import type { Socket } from 'node:net';
import { PraetorError } from '../../core/errors.js';
import { FrameDecoder, encodeExec, encodeRelease, type EnterSpec, type SpawnerEvent } from './spawner-protocol.js';

export const SPAWNER_NAME = 'praetor-spawner';
const STDERR_KEPT = 4096;

/** The spawner is built beside praetor-spawn (scripts/build-native.mjs). */
export function spawnerPathFor(helperPath: string): string {
  return join(dirname(helperPath), SPAWNER_NAME);
}

export interface SpawnHandlers {
  onStarted(pid: number): void;
  onData(stream: 'stdout' | 'stderr', chunk: Buffer): void;
  onEof(stream: 'stdout' | 'stderr'): void;
  onExit(code: number | null, signal: NodeJS.Signals | null): void;
  /** The command could not be started, or the spawner died before it was reaped. */
  onError(err: Error): void;
}

export interface SpawnedExec {
  /** Stops delivery to the handlers; the spawner drains what daemons still write, unseen. */
  release(): void;
  /** Stops delivery, for an exec the spawner is done with (exited, both pipes at EOF). */
  forget(): void;
}

const SIGNAL_NAMES = new Map<number, NodeJS.Signals>(
  Object.entries(constants.signals).map(([name, n]) => [n, name as NodeJS.Signals]),
);
const ERRNO_NAMES = new Map<number, string>(Object.entries(constants.errno).map(([name, n]) => [n, name]));

export class Spawner {
  private child: ChildProcess | null = null;
  private decoder = new FrameDecoder();
  private readonly execs = new Map<number, SpawnHandlers>();
  private nextId = 1;
  private stderr = '';
  private closed = false;

  /**
   * `args` start the process as one sandbox's (--target PID --uid U --gid G --seccomp FILE, see
   * praetor-spawner.c): then `spawn` with an EnterSpec runs commands inside that sandbox.
   */
  constructor(
    private readonly path: string,
    private readonly args: readonly string[] = [],
  ) {
    if (!existsSync(path)) {
      throw new PraetorError('host-unsupported', `native helper not found at ${path}: run \`npm run build\` (it needs a C compiler)`);
    }
  }

  /** Starts the spawner process ahead of the first exec (creating a sandbox does, for instance). */
  warm(): void {
    this.process();
  }

  spawn(
    argv: readonly string[],
    env: Readonly<Record<string, string>>,
    stdin: Buffer,
    handlers: SpawnHandlers,
    enter?: EnterSpec,
  ): SpawnedExec {
    if (this.closed) throw new PraetorError('sandbox-failure', 'the spawner is closed');
    const child = this.process();
    const id = this.nextId;
    this.nextId = this.nextId >= 0xffff_fffe ? 1 : this.nextId + 1;
    const frame = encodeExec(id, argv, env, stdin, enter);
    this.execs.set(id, handlers);
    this.setRef(true);
    child.stdin?.write(frame);
    return {
      release: () => {
        if (!this.forget(id)) return;
        if (this.child === child) child.stdin?.write(encodeRelease(id));
      },
      forget: () => void this.forget(id),
    };
  }

  /**
   * Ends the spawner: it exits when its input closes. What it reported before is still
   * delivered; execs it had not finished are failed then.
   */
  close(): void {
    this.closed = true;
    this.child?.stdin?.end();
  }

  private process(): ChildProcess {
    if (this.child !== null) return this.child;
    const child = spawn(this.path, this.args, { stdio: ['pipe', 'pipe', 'pipe'], env: {} });
    this.child = child;
    this.decoder = new FrameDecoder();
    this.stderr = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      if (this.child !== child) return;
      let events: SpawnerEvent[];
      try {
        events = this.decoder.push(chunk);
      } catch (err) {
        this.lost(child, `spoke garbage: ${String(err)}`);
        return;
      }
      for (const e of events) this.deliver(e);
    });
    child.stderr?.on('data', (c: Buffer) => {
      this.stderr = (this.stderr + c.toString()).slice(-STDERR_KEPT);
    });
    child.stdin?.on('error', () => undefined); // a dead spawner is reported by 'exit'
    child.on('error', (err) => this.lost(child, err.message));
    // 'close', not 'exit': every frame it wrote before exiting is read by then.
    child.on('close', (code, signal) => this.lost(child, `exited (${code ?? signal})`));
    this.setRef(this.execs.size > 0);
    return child;
  }

  private deliver(e: SpawnerEvent): void {
    const h = this.execs.get(e.id);
    if (h === undefined) return; // released meanwhile
    switch (e.type) {
      case 'started':
        h.onStarted(e.pid);
        return;
      case 'failed': {
        this.forget(e.id);
        const code = ERRNO_NAMES.get(e.errno) ?? `errno ${e.errno}`;
        h.onError(Object.assign(new Error(`spawn failed: ${code}`), { code, errno: -e.errno }));
        return;
      }
      case 'stdout':
      case 'stderr':
        h.onData(e.type, e.data);
        return;
      case 'eof':
        h.onEof(e.stream);
        return;
      case 'exit':
        h.onExit(e.code, e.signal === null ? null : (SIGNAL_NAMES.get(e.signal) ?? null));
        return;
    }
  }

  private forget(id: number): boolean {
    if (!this.execs.delete(id)) return false;
    if (this.execs.size === 0) this.setRef(false);
    return true;
  }

  private lost(child: ChildProcess, why: string): void {
    if (this.child !== child) return;
    this.child = null;
    child.stdin?.destroy();
    const detail = this.stderr.trim();
    this.failAll(new PraetorError('sandbox-failure', `praetor-spawner ${why}${detail ? `: ${detail}` : ''}`));
  }

  private failAll(err: Error): void {
    const pending = [...this.execs.values()];
    this.execs.clear();
    this.setRef(false);
    for (const h of pending) h.onError(err);
  }

  /** Holds praetor's event loop open only while an exec is in flight, like a child of its own would. */
  private setRef(ref: boolean): void {
    const child = this.child;
    if (child === null) return;
    const handles = [child, child.stdout as Socket | null, child.stdin as Socket | null];
    for (const h of handles) {
      if (h === null) continue;
      if (ref) h.ref();
      else h.unref();
    }
    (child.stderr as Socket | null)?.unref();
  }
}
