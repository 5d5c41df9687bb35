// The sandbox contract every backend (local bubblewrap today, Kubernetes later) implements,
// with the zod schema of its options as the single source of truth.
import { z } from 'zod';
import { PraetorError } from '../core/errors.js';
import { formatIssues } from '../core/schema-issues.js';
import type { NetworkEvent } from './network/network-events.js';
import { validateDomainPattern } from './network/domain-filter.js';
import { validateCidr } from './network/address-policy.js';
import { GpuRequestSchema } from './gpu/gpu-request.js';
import type { GpuGrant } from './gpu/gpu-allocator.js';
import type { PlantedBait } from './bait.js';

const domainPattern = z.string().superRefine((value, ctx) => {
  const problem = validateDomainPattern(value);
  if (problem !== null) ctx.addIssue({ code: 'custom', message: problem });
});

const cidr = z.string().superRefine((value, ctx) => {
  const problem = validateCidr(value);
  if (problem !== null) ctx.addIssue({ code: 'custom', message: problem });
});

const sizePattern = /^(\d+(?:\.\d+)?)\s*([kmgt]?)i?b?$/i;

/** Parses "512m", "2G", "1.5GiB" or a byte count into bytes. */
export function parseSize(value: string | number): number | null {
  if (typeof value === 'number') return Number.isFinite(value) && value > 0 ? Math.floor(value) : null;
  const m = sizePattern.exec(value.trim());
  if (!m) return null;
  const scale = { '': 1, k: 2 ** 10, m: 2 ** 20, g: 2 ** 30, t: 2 ** 40 }[(m[2] ?? '').toLowerCase()];
  const bytes = Number(m[1]) * (scale ?? 1);
  return bytes > 0 ? Math.floor(bytes) : null;
}

const byteSize = z.union([z.string(), z.number()]).transform((value, ctx) => {
  const bytes = parseSize(value);
  if (bytes === null) {
    ctx.addIssue({ code: 'custom', message: `not a size: ${String(value)} (use e.g. 512m, 2g)` });
    return z.NEVER;
  }
  return bytes;
});

export const SandboxOptionsSchema = z.object({
  workspace: z
    .string()
    .optional()
    .describe('Host directory whose contents are copied into /workspace; empty workspace when absent.'),
  cpus: z.number().positive().max(1024).default(1).describe('CPU quota in cores.'),
  memory: byteSize.default(2 * 2 ** 30).describe('Memory limit; the kernel OOM-kills inside the sandbox past it.'),
  pids: z.number().int().min(8).max(1_000_000).default(512).describe('Maximum number of tasks.'),
  disk: byteSize
    .default(2 ** 30)
    .refine((bytes) => bytes >= 16 * 2 ** 20 && bytes <= 2 ** 40, 'a disk is 16m to 1t')
    .describe('Room for /workspace and /tmp together; writing past it fails with ENOSPC inside.'),
  env: z.record(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/), z.string()).default({}),
  allowDomains: z
    .array(domainPattern)
    .default([])
    .describe('Egress allowed only to these domains, on ports 80 and 443 unless an entry names its port ("host:8080").'),
  denyDomains: z.array(domainPattern).default([]).describe('Always denied, even when allowed above; "host:port" denies that port only.'),
  allowCidrs: z
    .array(cidr)
    .default([])
    .describe(
      'Internal address ranges (loopback, private, link-local, metadata, this host, praetor cells) that allowed ' +
        'names may resolve to and be connected to; every other internal address is refused after resolution.',
    ),
  gpu: z.boolean().default(false).describe('Deprecated: the same as gpus: 1.'),
  gpus: GpuRequestSchema.optional(),
  gpuShared: z.boolean().default(false).describe('Share the granted GPUs with other sharing grants instead of holding them alone.'),
  allowUnmonitoredGpu: z
    .boolean()
    .default(false)
    .describe('Grant GPUs even where GPU monitoring does not work (recorded on the sandbox); refused otherwise.'),
  labels: z.record(z.string(), z.string()).default({}),
  bait: z
    .boolean()
    .default(true)
    .describe('Plant bait credentials in the home (docs/bait.md) and alert on any read of them; false for a task that uses cloud SDKs or ssh without its own keys.'),
});
export type SandboxOptions = z.infer<typeof SandboxOptionsSchema>;
export type SandboxOptionsInput = z.input<typeof SandboxOptionsSchema>;

/**
 * The longest timeout Node's timers hold: past 2^31-1 ms (24.8 days) setTimeout fires at once, so a
 * larger --timeout would kill the command immediately. Larger values are refused, not clamped.
 */
export const MAX_TIMEOUT_MS = 2 ** 31 - 1;
export const MAX_TIMEOUT_SECONDS = Math.floor(MAX_TIMEOUT_MS / 1000);
/** Checks a backend's create() options; every backend reports bad ones the same way (`path: message`). */
export function parseSandboxOptions(input: SandboxOptionsInput): SandboxOptions {
  const parsed = SandboxOptionsSchema.safeParse(input);
  if (!parsed.success) throw new PraetorError('invalid-config', `invalid sandbox options: ${formatIssues(parsed.error.issues).join('; ')}`);
  return parsed.data;
}

export interface ExecOptions {
  readonly cwd?: string;
  readonly env?: Readonly<Record<string, string>>;
  readonly stdin?: string | Buffer;
  /** Kill the step after this long: a positive number of ms up to MAX_TIMEOUT_MS. */
  readonly timeoutMs?: number;
  /** Bytes kept of each of stdout and stderr; the rest is counted, not kept. */
  readonly maxOutputBytes?: number;
  readonly onStdout?: (chunk: Buffer) => void;
  readonly onStderr?: (chunk: Buffer) => void;
  /** Kill the step when this aborts (a streaming client that went away), as a timeout does. */
  readonly signal?: AbortSignal;
}

export interface ExecResult {
  /** The step this exec ran as: its own cgroup, 1-based in the sandbox. */
  readonly step: number;
  readonly exitCode: number | null;
  readonly signal: string | null;
  readonly stdout: Buffer;
  readonly stderr: Buffer;
  readonly stdoutTruncated: boolean;
  readonly stderrTruncated: boolean;
  readonly timedOut: boolean;
  readonly durationMs: number;
  /** Set when praetor refused the exec before it started (exit code 77): the reason. */
  readonly refused?: string;
}

/** The exit code of an exec that praetor refused before it started (EX_NOPERM). */
export const REFUSED_EXIT_CODE = 77;

export interface SandboxProcess {
  readonly pid: number; // host pid
  readonly step: number | null; // null for the sandbox's own init
  readonly argv: readonly string[];
}

export interface SandboxInfo {
  readonly id: string;
  readonly backend: string;
  readonly createdAt: number;
  readonly options: SandboxOptions;
  readonly steps: number;
  /** The GPUs the sandbox holds; absent or null: none. */
  readonly gpuGrant?: GpuGrant | null;
}

/** What a sandbox's options ask for in GPUs (`gpu: true` is the old spelling of `gpus: 1`); null: none. */
export function requestedGpus(options: SandboxOptions): NonNullable<SandboxOptions['gpus']> | null {
  return options.gpus ?? (options.gpu ? 1 : null);
}

/**
 * Where a sandbox lives on this host, for the guard's host-side monitors. A sandbox that has one
 * keeps its processes in praetor's cgroup layout (sandbox/cgroup/cgroup-layout.ts: a cgroup named
 * by the sandbox id, a leaf `step-N` per step), where the process and resource monitors find them,
 * and its backend calls every SandboxObserver hook (observer.ts).
 */
export interface SandboxHostView {
  /** Host pid of the sandbox's init: its network namespace holds the sandbox's sockets. */
  readonly initPid: number;
  /** Host directory that is the sandbox's home, watched for persistence and credential writes. */
  readonly homeDir: string;
  /** The same directory as the sandbox sees it ($HOME). */
  readonly homeInSandbox: string;
  /** The bait credentials planted in the home (bait.ts); absent or empty: none. */
  readonly bait?: readonly PlantedBait[];
  /**
   * Host pid of the process that started the init (the local backend's bubblewrap), where there is
   * one. It runs in the sandbox's cgroups from before the sandbox exists: its exec is praetor's own,
   * never the agent's, however late the process monitor reports it.
   */
  readonly launcherPid?: number;
}

export interface Sandbox {
  readonly id: string;
  info(): SandboxInfo;
  exec(argv: readonly string[], options?: ExecOptions): Promise<ExecResult>;
  readFile(path: string): Promise<Buffer>;
  writeFile(path: string, data: string | Buffer): Promise<void>;
  /** Processes alive in the sandbox, each attributed to the step that started it. */
  processes(): Promise<SandboxProcess[]>;
  /** Every network attempt recorded so far, allowed or not. */
  networkEvents(): readonly NetworkEvent[];
  onNetworkEvent(listener: (event: NetworkEvent) => void): () => void;
  /** Waits until every network record of attempts made so far has been delivered. */
  flushNetworkEvents(): Promise<void>;
  /** Destroys the sandbox and everything in it; idempotent. */
  destroy(): Promise<void>;
  /** Whether destroy() was called (by its owner, or by the guard terminating it). */
  readonly isDestroyed: boolean;

  // ---- what the guard and its enforcer need ----

  /** Steps whose exec has not returned yet. */
  runningSteps(): ReadonlySet<number>;
  /** Kills every process of one step, daemons it left included. */
  killStep(step: number): Promise<void>;
  /** Kills a process of this sandbox and its descendants; returns the pids killed (none for a pid not its own). */
  killProcessTree(pid: number): Promise<number[]>;
  /** Freezes (or thaws) every process of the sandbox; nothing in it runs while frozen. */
  setFrozen(frozen: boolean): Promise<void>;
  /**
   * Keeps the sandbox frozen for `reason` until release(reason), whatever else freezes and thaws it
   * meanwhile (setFrozen, a process-tree kill, another hold): it runs only when no hold is left.
   * The guard holds a sandbox this way while a monitor of it is down.
   */
  hold(reason: string): Promise<void>;
  release(reason: string): Promise<void>;
  /**
   * Where the sandbox lives on this host; null when it can not be watched from here (a remote
   * backend, the in-memory fake). A guard refuses a sandbox without one.
   */
  watchable(): SandboxHostView | null;
}

export interface SandboxBackend {
  readonly name: string;
  /**
   * Creates and starts a sandbox. When the backend's observer refuses it (its sandboxCreated
   * throws), the sandbox is destroyed before anything runs in it and create rejects with that error.
   */
  create(options?: SandboxOptionsInput): Promise<Sandbox>;
  /**
   * Starts what every sandbox of the backend shares ahead of the first create, so a caller can
   * overlap it with its own start-up; create does it anyway when it was not called.
   */
  prepare?(): Promise<void>;
  list(): Sandbox[];
  get(id: string): Sandbox | undefined;
  /** Destroys every sandbox this backend created. */
  close(): Promise<void>;
}
