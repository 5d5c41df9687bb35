// One live sandbox of the local backend: exec as steps, files, processes, network record, destroy.
import type { PlantedBait } from '../bait.js';
import type { GpuGrant } from '../gpu/gpu-allocator.js';
import { readFile, readdir } from 'node:fs/promises';
import type {
  ExecOptions,
  ExecResult,
  Sandbox,
  SandboxHostView,
  SandboxInfo,
  SandboxOptions,
  SandboxProcess,
} from '../backend.js';
import { REFUSED_EXIT_CODE } from '../backend.js';
import { PraetorError, errorMessage } from '../../core/errors.js';
import type { CgroupTree } from '../cgroup/cgroup-tree.js';
import { reapDirs } from '../cgroup/cgroup-layout.js';
import type { NetworkEvent } from '../network/network-events.js';
import type { CellAddresses } from '../network/address-pool.js';
import { checkExecOptions, runExec } from './exec-runner.js';
import { Spawner, spawnerPathFor } from './spawner.js';
import type { EnterSpec } from './spawner-protocol.js';
import { sandboxEnv } from './bwrap-argv.js';
import { StepLeaves, stepLeaf } from './step-leaves.js';
import type { SandboxAction, SandboxObserver } from '../observer.js';

const MAX_EVENTS = 100_000;
/** The hold of setFrozen(true). */
const FROZEN = 'frozen';
/** HOME of every exec (sandboxEnv): under the sandbox's /tmp, which is `${dataDir}/tmp` on the host. */
const SANDBOX_HOME = '/tmp/home';

export interface LocalSandboxDeps {
  readonly id: string;
  readonly options: SandboxOptions;
  readonly createdAt: number;
  readonly hostUid: number;
  readonly cell: CellAddresses;
  readonly proxyUrl: string;
  readonly initPid: number;
  /** Host pid of the process that started the init (bubblewrap): praetor's, in the init's cgroup. */
  readonly launcherPid?: number;
  /** The init's start time (field 22 of /proc/PID/stat): proves to its spawner that a pid is still the init. */
  readonly initStartTime: string;
  /** Host directory holding the sandbox's workspace and tmp. */
  readonly dataDir: string;
  readonly helperPath: string;
  readonly seccompPath: string;
  readonly cgroups: CgroupTree;
  readonly preallocatedSteps: number;
  readonly teardown: () => Promise<void>;
  /** Resolves once every denial of the cell so far is recorded (or counted as dropped). */
  readonly flushDenials: () => Promise<void>;
  readonly observer: SandboxObserver | null;
  /** The GPUs it holds (released by teardown). */
  readonly gpuGrant?: GpuGrant | null;
  /** Bait credentials planted in the home (sandbox/bait.ts). */
  readonly bait?: readonly PlantedBait[];
}

export class LocalSandbox implements Sandbox {
  readonly id: string;
  private steps = 0;
  private readonly leaves: StepLeaves;
  private destroyed: Promise<void> | null = null;
  private readonly events: NetworkEvent[] = [];
  private droppedEvents = 0;
  private readonly listeners = new Set<(e: NetworkEvent) => void>();
  private readonly running = new Set<number>();
  private readonly spawner: Spawner;
  /** Host pids of the processes that entered the sandbox for a running step and wait for it. */
  private readonly waiters = new Set<number>();
  /** Why the sandbox is frozen (see hold()); empty: it runs. */
  private readonly holds = new Set<string>();
  private killTrees = 0;

  constructor(private readonly deps: LocalSandboxDeps) {
    this.id = deps.id;
    this.leaves = new StepLeaves(deps.cgroups, deps.id, deps.preallocatedSteps);
    // One spawner per sandbox: it enters this sandbox for each step, and a step flooding its
    // output delays only its own sandbox.
    const uid = String(deps.hostUid);
    const target = ['--target', String(deps.initPid), '--start-time', deps.initStartTime, '--uid', uid, '--gid', uid, '--seccomp', deps.seccompPath];
    // praetor's death is the spawner's cue to kill every process of these cgroups (frozen ones too).
    for (const dir of reapDirs(deps.cgroups.layout, deps.id)) target.push('--reap', dir);
    this.spawner = new Spawner(spawnerPathFor(deps.helperPath), target);
    this.spawner.warm();
  }

  /** Where this sandbox lives on the host: for gc, tests and operators, never for the agent. */
  hostInfo(): {
    hostUid: number;
    slot: number;
    hostAddress: string;
    sandboxAddress: string;
    initPid: number;
    proxyUrl: string;
    dataDir: string;
  } {
    const { hostUid, cell, initPid, proxyUrl, dataDir } = this.deps;
    return { hostUid, slot: cell.slot, hostAddress: cell.hostAddress, sandboxAddress: cell.sandboxAddress, initPid, proxyUrl, dataDir };
  }

  watchable(): SandboxHostView {
    const { initPid, launcherPid, dataDir } = this.deps;
    return { initPid, launcherPid, homeDir: `${dataDir}${SANDBOX_HOME}`, homeInSandbox: SANDBOX_HOME, bait: this.deps.bait ?? [] };
  }

  info(): SandboxInfo {
    return { id: this.id, backend: 'local', createdAt: this.deps.createdAt, options: this.deps.options, steps: this.steps, gpuGrant: this.deps.gpuGrant ?? null };
  }

  /** Called by the backend for every network record of this sandbox. */
  record(event: NetworkEvent): void {
    if (this.events.length < MAX_EVENTS) this.events.push(event);
    else this.droppedEvents++;
    for (const l of this.listeners) l(event);
  }

  networkEvents(): readonly NetworkEvent[] {
    return this.events;
  }

  get droppedNetworkEvents(): number {
    return this.droppedEvents;
  }

  onNetworkEvent(listener: (event: NetworkEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  async flushNetworkEvents(): Promise<void> {
    await this.deps.flushDenials();
  }

  exec(argv: readonly string[], options: ExecOptions = {}): Promise<ExecResult> {
    const stdin = options.stdin === undefined ? null : options.stdin.toString();
    const env = { ...this.deps.options.env, ...options.env };
    return this.execStep(argv, options, { kind: 'exec', argv, cwd: options.cwd ?? '/workspace', env, stdin });
  }

  /** Asks the observer; a hook that throws refuses (fail closed). */
  private async authorize(step: number, action: SandboxAction): Promise<string | null> {
    const observer = this.deps.observer;
    if (observer?.authorize === undefined) return null;
    try {
      return (await observer.authorize(this.id, step, action))?.reason ?? null;
    } catch (err) {
      return `the policy check failed, so praetor refuses: ${errorMessage(err)}`;
    }
  }

  private async execStep(argv: readonly string[], options: ExecOptions, action: SandboxAction): Promise<ExecResult> {
    if (this.destroyed) throw new PraetorError('sandbox-not-found', `sandbox ${this.id} is destroyed`);
    if (argv.length === 0) throw new PraetorError('usage', 'exec needs a command');
    checkExecOptions(options);
    // The guard may hold the step (a monitor is down) or refuse it; either way before it exists.
    const admitted = this.deps.observer?.admitStep?.(this.id, argv);
    if (admitted !== undefined) await admitted;
    if (this.destroyed) throw new PraetorError('sandbox-not-found', `sandbox ${this.id} is destroyed`);
    const step = ++this.steps;
    const refused = await this.authorize(step, action);
    if (refused !== null) {
      if (action.kind !== 'exec') throw new PraetorError('policy-denied', refused);
      return refusedResult(step, refused);
    }
    await this.leaves.ensure(step);
    const enter = { cwd: options.cwd ?? '/workspace', cgroups: this.deps.cgroups.leaf(this.id, stepLeaf(step)).procsFiles };
    this.running.add(step);
    this.deps.observer?.stepStarted?.(this.id, step, argv);
    try {
      const result = await this.runStep(step, argv, enter, options);
      this.deps.observer?.stepEnded?.(this.id, step, result);
      return result;
    } finally {
      this.running.delete(step);
    }
  }

  /** Steps whose exec has not returned yet. */
  runningSteps(): ReadonlySet<number> {
    return this.running;
  }

  /** Steps begun so far (1..n). */
  get stepCount(): number {
    return this.steps;
  }

  private runStep(step: number, argv: readonly string[], enter: EnterSpec, options: ExecOptions): Promise<ExecResult> {
    return runExec(
      this.spawner,
      {
        argv,
        enter,
        onStarted: (pid) => this.waiters.add(pid),
        onFinished: (pid) => this.waiters.delete(pid),
        env: sandboxEnv(this.deps.proxyUrl, { ...this.deps.options.env, ...options.env }),
        step,
        killStep: () => this.deps.cgroups.kill(this.id, stepLeaf(step), () => this.frozen),
      },
      options,
    );
  }

  async readFile(path: string): Promise<Buffer> {
    // Read through an exec, with the sandbox's own rights: a symlink planted by the agent can
    // not make praetor (root) read a host file for it.
    const result = await this.execStep(['cat', '--', path], {}, { kind: 'read-file', path });
    if (result.exitCode !== 0) throw new PraetorError('sandbox-failure', `read ${path}: ${result.stderr.toString().trim()}`);
    return result.stdout;
  }

  async writeFile(path: string, data: string | Buffer): Promise<void> {
    const script = 'mkdir -p -- "$(dirname -- "$1")" && cat > "$1"';
    const result = await this.execStep(['sh', '-c', script, 'praetor-write', path], { stdin: data }, { kind: 'write-file', path });
    if (result.exitCode !== 0) throw new PraetorError('sandbox-failure', `write ${path}: ${result.stderr.toString().trim()}`);
  }

  async processes(): Promise<SandboxProcess[]> {
    const result: SandboxProcess[] = [];
    for (const leaf of await this.deps.cgroups.leaves(this.id)) {
      const step = leaf.startsWith('step-') ? Number(leaf.slice(5)) : null;
      for (const pid of await this.deps.cgroups.pids(this.id, leaf)) {
        const argv = await readCmdline(pid);
        // The process that entered the sandbox for the step waits in the step cgroup too; it is
        // praetor's, not the agent's. Known by the pid the spawner reported, which the agent can
        // not fake, unlike a command line.
        if (argv === null || this.waiters.has(pid)) continue;
        result.push({ pid, step, argv });
      }
    }
    return result;
  }

  /** Freezes (or thaws) every process of the sandbox, for inspection. Holds (see hold()) outlast a thaw. */
  async setFrozen(frozen: boolean): Promise<void> {
    if (frozen) this.holds.add(FROZEN);
    else this.holds.delete(FROZEN);
    await this.applyFreezer();
  }

  /**
   * Keeps the sandbox frozen for `reason` until release(reason), whatever else freezes and thaws it
   * meanwhile (a process-tree kill, another hold): the sandbox runs only when no hold is left.
   */
  async hold(reason: string): Promise<void> {
    this.holds.add(reason);
    await this.applyFreezer();
  }

  async release(reason: string): Promise<void> {
    if (!this.holds.delete(reason)) return;
    await this.applyFreezer();
  }

  /** Whether something keeps the sandbox frozen now. */
  get frozen(): boolean {
    return this.holds.size > 0;
  }

  private async applyFreezer(): Promise<void> {
    if (this.destroyed) return;
    await this.deps.cgroups.setFrozen(this.id, this.holds.size > 0);
  }

  /** Kills every process of one step, daemons it left included. */
  async killStep(step: number): Promise<void> {
    await this.deps.cgroups.kill(this.id, stepLeaf(step), () => this.frozen);
  }

  /**
   * Kills a process and all its descendants. The sandbox is frozen meanwhile so nothing forks
   * between listing the tree and signalling it. Only pids of this sandbox are touched.
   */
  async killProcessTree(pid: number): Promise<number[]> {
    const own = new Set((await this.processes()).map((p) => p.pid));
    if (!own.has(pid)) return [];
    const reason = `kill-tree ${pid} ${++this.killTrees}`;
    await this.hold(reason);
    const killed: number[] = [];
    try {
      for (const victim of await descendants(pid)) {
        if (!own.has(victim) && victim !== pid) continue;
        try {
          process.kill(victim, 'SIGKILL');
          killed.push(victim);
        } catch {
          // exited on its own
        }
      }
    } finally {
      await this.release(reason);
    }
    return killed;
  }

  destroy(): Promise<void> {
    // The spawner goes last: steps killed by the teardown still report their exit.
    this.destroyed ??= this.deps.teardown().finally(() => this.spawner.close());
    return this.destroyed;
  }

  get isDestroyed(): boolean {
    return this.destroyed !== null;
  }
}

/** An exec refused before it started: exit 77 and the reason on stderr, as the agent sees it. */
function refusedResult(step: number, reason: string): ExecResult {
  return {
    step,
    exitCode: REFUSED_EXIT_CODE,
    signal: null,
    stdout: Buffer.alloc(0),
    stderr: Buffer.from(`praetor: refused: ${reason}\n`),
    stdoutTruncated: false,
    stderrTruncated: false,
    timedOut: false,
    durationMs: 0,
    refused: reason,
  };
}

/** pid and every descendant, from /proc/<pid>/task/<tid>/children. */
async function descendants(pid: number): Promise<number[]> {
  const seen = [pid];
  for (let i = 0; i < seen.length; i++) {
    const current = seen[i] ?? 0;
    const tasks = await readdir(`/proc/${current}/task`).catch(() => [] as string[]);
    for (const tid of tasks) {
      const children = await readFile(`/proc/${current}/task/${tid}/children`, 'utf8').catch(() => '');
      for (const c of children.split(' ').filter(Boolean)) seen.push(Number(c));
    }
  }
  return seen;
}

async function readCmdline(pid: number): Promise<string[] | null> {
  try {
    const raw = await readFile(`/proc/${pid}/cmdline`, 'utf8');
    return raw.split('\0').filter((s, i, all) => s !== '' || i < all.length - 1);
  } catch {
    return null;
  }
}
