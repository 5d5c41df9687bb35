// The embedded default backend: sandboxes on this Linux host from bubblewrap, cgroups,
// a network namespace per sandbox, nftables and an in-process egress proxy.
import { plantBait } from '../bait.js';
import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readdirSync, writeFileSync } from 'node:fs';
import { mkdir as mkdirAsync, rm } from 'node:fs/promises';
import type { SandboxBackend, SandboxOptions, SandboxOptionsInput } from '../backend.js';
import { parseSandboxOptions, requestedGpus } from '../backend.js';
import { PraetorError, errorMessage } from '../../core/errors.js';
import { CgroupTree, detectCgroupLayout } from '../cgroup/cgroup-tree.js';
import { AddressPool, MAX_SLOTS, hostInterfaceGone } from '../network/address-pool.js';
import { NflogReader } from '../network/nflog-reader.js';
import { PROXY_PORT, configureCell, createCellNamespace, netnsPath } from '../network/network-cell.js';
import { EgressProxy } from '../network/egress-proxy.js';
import { decideDomain } from '../network/domain-filter.js';
import { AddressPolicy, HostAddresses } from '../network/address-policy.js';
import { DnsResolver, type UpstreamResolver } from '../network/resolver.js';
import { buildSeccompProgram, DEFAULT_ARGUMENT_RULES, DEFAULT_DENIED_SYSCALLS, hostSeccompArch } from '../seccomp/index.js';
import { DEFAULT_READ_ONLY_BASE } from './bwrap-argv.js';
import { launchInit, stopInit } from './sandbox-init.js';
import { GpuAllocator, type GpuGrant, type GpuUnit } from '../gpu/gpu-allocator.js';
import { requireCapabilities } from './host-capabilities.js';
import { FileGpuClaims, type GpuClaimStore } from '../gpu/gpu-claims.js';
import { NvidiaSmiInventory, type GpuInventorySource } from '../gpu/gpu-inventory.js';
import { grantDeviceBinds, grantEnv, type DeviceBind } from '../gpu/gpu-devices.js';
import { attachDeviceFilter, deviceFilterDir, deviceFilterRules } from '../gpu/gpu-device-filter.js';
import { defaultHostPaths, preparePrivateDirs, requireHelper, type HostPaths } from './host-paths.js';
import { copyWorkspace } from './workspace-copy.js';
import { LocalSandbox } from './local-sandbox.js';
import { STEP_PREALLOCATION, stepMatches } from './step-leaves.js';
import { RecordStore, processStartTime } from './sandbox-record.js';
import { teardownSandbox } from './teardown.js';
import { DiskTemplates, attachDisk } from './sandbox-disk.js';
import type { SandboxObserver } from '../observer.js';
import { MonitorSupervisor } from '../monitor-source.js';


export interface LocalBackendOptions {
  readonly paths?: HostPaths;
  /** Resolves names upstream of every sandbox's proxy; tests and the demo map names to local fakes. */
  readonly resolver?: UpstreamResolver;
  /** First host uid of the range sandboxes run as (one uid per network slot). */
  readonly uidBase?: number;
  readonly readOnlyBase?: readonly string[];
  /** The guard's hooks into every sandbox of this backend. */
  readonly observer?: SandboxObserver;
  /**
   * Internal ranges every sandbox of this backend may reach, on top of its own allowCidrs: where a
   * test's or demo's resolver maps names (loopback fakes, the red team's world). Default none.
   */
  readonly allowCidrs?: readonly string[];
  /** Socket buffer of each cell's denial reader (tests shrink it to provoke counted drops). */
  readonly denialBufferBytes?: number;
  /** Where the host's GPUs are listed (nvidia-smi by default; tests replay recordings). */
  readonly gpuInventory?: GpuInventorySource;
  /** Directory holding the NVIDIA device nodes (default /dev; tests use a directory of fake nodes). */
  readonly devRoot?: string;
  /**
   * Who holds which GPU. Default: claim files under the state directory, shared with every praetor
   * process of the host. Tests that replay a recorded inventory keep their own, since two such tests
   * running at once would otherwise claim the same recorded uuids from each other.
   */
  readonly gpuClaims?: GpuClaimStore;
}

const DEFAULT_UID_BASE = 1_600_000_000;

interface Runtime {
  readonly cgroups: CgroupTree;
  readonly denials: NflogReader;
  readonly denialSupervisor: MonitorSupervisor;
  readonly seccompPath: string;
}

export class LocalBackend implements SandboxBackend {
  readonly name = 'local';
  private readonly paths: HostPaths;
  private readonly pool: AddressPool;
  private readonly records: RecordStore;
  private readonly sandboxes = new Map<string, LocalSandbox>();
  /** Creates under way: close() waits for them, so none finishes after it and is left behind. */
  private readonly creating = new Set<Promise<unknown>>();
  private closing = false;
  private readonly hostAddresses = new HostAddresses();
  private readonly templates: DiskTemplates;
  private runtime: Promise<Runtime> | null = null;
  private allocator: GpuAllocator | null = null;

  constructor(private readonly options: LocalBackendOptions = {}) {
    this.paths = options.paths ?? defaultHostPaths();
    this.pool = new AddressPool(`${this.paths.stateDir}/slots`, MAX_SLOTS, hostInterfaceGone);
    this.records = new RecordStore(`${this.paths.stateDir}/sandboxes`);
    this.templates = new DiskTemplates(`${this.paths.dataDir}/disk-templates`);
  }

  private start(): Promise<Runtime> {
    this.runtime ??= (async () => {
      if (process.getuid?.() !== 0) throw new PraetorError('host-unsupported', 'the local backend needs root');
      requireCapabilities();
      requireHelper(this.paths);
      const cgroups = new CgroupTree(await detectCgroupLayout());
      await preparePrivateDirs(this.paths);
      const seccompPath = `${this.paths.stateDir}/seccomp-${process.pid}.bpf`;
      const program = buildSeccompProgram({ arch: hostSeccompArch(), deny: DEFAULT_DENIED_SYSCALLS, argumentRules: DEFAULT_ARGUMENT_RULES });
      writeFileSync(seccompPath, program, { mode: 0o600 });
      const denials = new NflogReader({
        ...(this.options.denialBufferBytes !== undefined ? { receiveBufferBytes: this.options.denialBufferBytes } : {}),
        onError: (message) => process.stderr.write(`praetor: ${message}\n`),
      });
      // The denial reader is a monitor like the guard's own: its death holds the sandboxes (through
      // the observer) until it is restarted.
      const observer = this.options.observer;
      const denialSupervisor = new MonitorSupervisor(denials, {
        onDown: (f) => observer?.monitorDown?.(f),
        onUp: (m) => observer?.monitorUp?.(m),
        onRetryFailed: (m, err) =>
          observer?.monitorDown?.({ monitor: m, reason: `restart failed: ${errorMessage(err)}`, time: Date.now(), sandboxIds: null }),
      });
      await denialSupervisor.start();
      return { cgroups, denials, denialSupervisor, seccompPath };
    })();
    return this.runtime;
  }

  /**
   * Starts what every sandbox shares (cgroup layout, seccomp program, denial reader) ahead
   * of the first create, so a caller can overlap it with other start-up work (the guard's).
   */
  async prepare(): Promise<void> {
    await this.start();
  }

  list(): LocalSandbox[] {
    return [...this.sandboxes.values()];
  }

  get(id: string): LocalSandbox | undefined {
    return this.sandboxes.get(id);
  }

  async create(input: SandboxOptionsInput = {}): Promise<LocalSandbox> {
    if (this.closing) throw new PraetorError('sandbox-failure', 'the backend is closing: no new sandbox');
    const creating = this.createSandbox(input);
    this.creating.add(creating);
    try {
      return await creating;
    } finally {
      this.creating.delete(creating);
    }
  }

  private async createSandbox(input: SandboxOptionsInput): Promise<LocalSandbox> {
    const parsed = parseSandboxOptions(input);
    const id = `sb-${randomBytes(5).toString('hex')}`;
    // GPUs first: a request this host can not honour is refused before anything exists to clean up.
    const gpu = await this.grantGpus(id, parsed);
    let rt: Runtime;
    try {
      rt = await this.start();
    } catch (err) {
      await this.allocator?.release(id);
      throw err;
    }
    const options: SandboxOptions = gpu === null ? parsed : { ...parsed, env: { ...parsed.env, ...grantEnv(gpu.grant) } };
    const createdAt = Date.now();
    const cell = await this.pool.claim(id).catch(async (err: unknown) => {
      await this.allocator?.release(id);
      throw err;
    });
    const hostUid = (this.options.uidBase ?? DEFAULT_UID_BASE) + cell.slot;
    const dataDir = `${this.paths.dataDir}/sandboxes/${id}`;
    const teardown = async (): Promise<void> => {
      this.sandboxes.delete(id);
      this.options.observer?.sandboxDestroyed?.(id);
      await proxy.close().catch(() => undefined);
      // Processes first, the init among them: a frozen init (the guard held the sandbox) would
      // take a plain SIGKILL only once thawed, and stopInit would wait for it forever.
      await rt.cgroups.kill(id).catch(() => undefined);
      await stopInit(init);
      const deps = {
        ...rt,
        pool: this.pool,
        records: this.records,
        helperPath: this.paths.helperPath,
        processesGone: () => rt.denials.removeCell(id),
      };
      const problems = await teardownSandbox({ id, slot: cell.slot, dataDir }, deps);
      if (gpu !== null) await this.allocator?.release(id).catch((err: unknown) => problems.push(`gpu claims: ${errorMessage(err)}`));
      if (problems.length > 0) throw new PraetorError('sandbox-failure', `destroy ${id}: ${problems.join('; ')}`);
    };
    let init: ChildProcess | null = null;
    let sandbox: LocalSandbox | null = null;
    const buffered: Parameters<LocalSandbox['record']>[0][] = [];
    const record = (e: Parameters<LocalSandbox['record']>[0]): void => {
      if (sandbox) sandbox.record(e);
      else buffered.push(e);
    };
    const policy = { allow: options.allowDomains, deny: options.denyDomains };
    const addresses = new AddressPolicy({
      allowCidrs: [...(this.options.allowCidrs ?? []), ...options.allowCidrs],
      hostAddresses: () => this.hostAddresses.current(),
    });
    const observer = this.options.observer;
    const proxy = new EgressProxy({
      sandboxId: id,
      filter: async (host, port, client) => {
        const verdict = decideDomain(policy, host, port);
        if (!observer?.checkEgress) return verdict;
        const extra = await observer.checkEgress({ sandboxId: id, host, port, ...client, policyAllowed: verdict.allowed });
        return verdict.allowed && extra ? extra : verdict;
      },
      resolver: this.options.resolver ?? new DnsResolver(),
      checkAddress: (address) => addresses.decide(address),
      onDecision: record,
      ...(observer?.inspectStream
        ? { onFirstBytes: (info, chunk) => observer.inspectStream?.({ sandboxId: id, ...info }, chunk) === true }
        : {}),
    });
    try {
      const ownerStartTime = (await processStartTime(process.pid)) ?? '';
      await this.records.write({ id, slot: cell.slot, hostUid, ownerPid: process.pid, ownerStartTime, createdAt, dataDir });
      await rt.cgroups.createSandbox(id, { cpus: options.cpus, memoryBytes: options.memory, pids: options.pids });
      // Before any process joins: the kernel refuses every GPU node but the granted ones.
      if (gpu !== null) await attachDeviceFilter(deviceFilterDir(rt.cgroups.layout, id), deviceFilterRules(gpu.grant));
      const initLeaf = await rt.cgroups.createLeaf(id, 'init');
      const steps = await stepMatches(rt.cgroups, id, 1, STEP_PREALLOCATION);
      // The disk (a loop mount) and the network namespace do not depend on each other; both wait on
      // the kernel more than on the CPU. Both are settled before anything can fail past here, so a
      // teardown never runs beside one of them.
      const [dirs, netns] = await Promise.allSettled([
        this.prepareDirs(dataDir, hostUid, options.disk, options.workspace),
        createCellNamespace(id, cell),
      ]);
      if (dirs.status === 'rejected') throw dirs.reason;
      if (netns.status === 'rejected') throw netns.reason;
      const [workspaceDir, tmpDir] = dirs.value;
      // the bait (about 20 ms of small writes on a loaded host) is planted beside the rest of the setup
      const [, , , launched, bait] = await Promise.all([
        rt.denials.addCell(id, netnsPath(id), record),
        configureCell(id, cell, steps),
        proxy.listen(cell.hostAddress, PROXY_PORT),
        launchInit({
          id,
          hostUid,
          initProcs: initLeaf.procsFiles,
          workspaceDir,
          tmpDir,
          devices: gpu?.binds ?? [],
          seccompPath: rt.seccompPath,
          helperPath: this.paths.helperPath,
          readOnlyBase: this.options.readOnlyBase ?? DEFAULT_READ_ONLY_BASE,
        }).then(
          (r) => {
            init = r.child;
            return r;
          },
        ),
        options.bait ? plantBait(`${tmpDir}/home`, '/tmp/home', hostUid, hostUid) : Promise.resolve([]),
      ]);
      const initPid = launched.pid;
      const initStartTime = await processStartTime(initPid);
      if (initStartTime === null) throw new PraetorError('sandbox-failure', `sandbox init ${initPid} exited during setup`);
      sandbox = new LocalSandbox({
        id,
        options,
        createdAt,
        hostUid,
        cell,
        proxyUrl: `http://${cell.hostAddress}:${PROXY_PORT}`,
        initPid,
        launcherPid: launched.child.pid,
        initStartTime,
        dataDir,
        helperPath: this.paths.helperPath,
        seccompPath: rt.seccompPath,
        cgroups: rt.cgroups,
        preallocatedSteps: STEP_PREALLOCATION,
        teardown,
        flushDenials: () => rt.denials.flush(id),
        observer: this.options.observer ?? null,
        gpuGrant: gpu?.grant ?? null,
        bait,
      });
      for (const e of buffered.splice(0)) sandbox.record(e);
      this.sandboxes.set(id, sandbox);
      this.options.observer?.sandboxCreated?.(sandbox);
      return sandbox;
    } catch (err) {
      await teardown().catch(() => undefined);
      if (err instanceof PraetorError) throw err;
      throw new PraetorError('sandbox-failure', `create sandbox: ${errorMessage(err)}`, { cause: err });
    }
  }

  /**
   * The sandbox's data directory, with its disk mounted over it: the mount's root is 0700 and
   * belongs to the sandbox's uid (bubblewrap, running as that uid, binds workspace and tmp from
   * it), so no other host user can enter it; the directories above are root's, 0711.
   */
  private async prepareDirs(dataDir: string, uid: number, diskBytes: number, source: string | undefined): Promise<[string, string]> {
    await mkdirAsync(dataDir, { mode: 0o700 });
    const template = await this.templates.ensure(diskBytes);
    await attachDisk({ helperPath: this.paths.helperPath, template, dataDir, uid });
    const workspace = `${dataDir}/workspace`;
    if (source !== undefined) await copyWorkspace(source, workspace, uid, diskBytes);
    return [workspace, `${dataDir}/tmp`];
  }

  /** The GPU allocator of this host (claims shared with every praetor process through the state directory). */
  async gpus(): Promise<GpuAllocator> {
    if (this.allocator === null) {
      const startTime = (await processStartTime(process.pid)) ?? '';
      this.allocator = new GpuAllocator(
        this.options.gpuInventory ?? new NvidiaSmiInventory(),
        this.options.gpuClaims ??
          new FileGpuClaims(`${this.paths.stateDir}/gpus`, { pid: process.pid, startTime }, async (pid, start) => (await processStartTime(pid)) === start),
      );
    }
    return this.allocator;
  }

  /** GPUs (or MIG instances) no sandbox on this host holds: what a new exclusive grant can get. */
  async freeGpus(): Promise<GpuUnit[]> {
    return (await this.gpus()).freeGpus();
  }

  /**
   * Claims the sandbox's GPUs and finds their device nodes; null when it asks for none. Refused
   * (nothing claimed) on a host without them, when none is free, or where GPU use is not watched
   * and the sandbox did not say allowUnmonitoredGpu.
   */
  private async grantGpus(id: string, options: SandboxOptions): Promise<{ grant: GpuGrant; binds: DeviceBind[] } | null> {
    const request = requestedGpus(options);
    if (request === null) return null;
    const allocator = await this.gpus();
    await allocator.gpus();
    const watched = this.options.observer?.gpuWatch?.() ?? 'off';
    if (watched !== 'on' && !options.allowUnmonitoredGpu) {
      throw new PraetorError(
        'host-unsupported',
        `GPU monitoring does not work here (${watched === 'off' ? 'no guard watches GPUs' : 'nvidia-smi does not answer the guard'}): the GPU grant is refused; --allow-unmonitored-gpu runs it unwatched`,
      );
    }
    const grant = await allocator.allocate(id, request, options.gpuShared);
    try {
      const devRoot = this.options.devRoot ?? '/dev';
      const names = readdirSync(devRoot);
      const caps = names.includes('nvidia-caps') ? readdirSync(`${devRoot}/nvidia-caps`) : [];
      return { grant, binds: grantDeviceBinds(grant, devRoot, names, caps) };
    } catch (err) {
      await allocator.release(id);
      throw err;
    }
  }

  /** Host pid of this backend's denial reader (praetor-nflog): null before the first sandbox or while it is down. */
  async denialReaderPid(): Promise<number | null> {
    const rt = this.runtime ? await this.runtime.catch(() => null) : null;
    return rt?.denials.pid ?? null;
  }

  async close(): Promise<void> {
    // A create under way (a daemon stopped while its pool fills) registers its sandbox when done:
    // wait for it, so the destroy below sees it, and refuse new ones meanwhile.
    this.closing = true;
    try {
      await Promise.allSettled([...this.creating]);
    } finally {
      this.closing = false;
    }
    const all = [...this.sandboxes.values()];
    const results = await Promise.allSettled(all.map((s) => s.destroy()));
    if (this.runtime) {
      const rt = await this.runtime.catch(() => null);
      rt?.denialSupervisor.stop();
      if (rt) await rm(rt.seccompPath, { force: true });
      this.runtime = null;
    }
    const failed = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed.length > 0) throw new PraetorError('sandbox-failure', failed.map((f) => errorMessage(f.reason)).join('; '));
  }
}
