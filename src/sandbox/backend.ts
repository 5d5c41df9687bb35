// The sandbox contract every backend (local bubblewrap today, Kubernetes later) implements,
// with the zod schema of its options as the single source of truth.
import { z } from 'zod';
import type { NetworkEvent } from './network/network-events.js';
import { validateDomainPattern } from './network/domain-filter.js';

const domainPattern = z.string().superRefine((value, ctx) => {
  const problem = validateDomainPattern(value);
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
  env: z.record(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/), z.string()).default({}),
  allowDomains: z.array(domainPattern).default([]).describe('Egress allowed only to these domains.'),
  denyDomains: z.array(domainPattern).default([]).describe('Always denied, even when allowed above.'),
  gpu: z.boolean().default(false).describe('Expose the host NVIDIA devices inside the sandbox.'),
  labels: z.record(z.string(), z.string()).default({}),
});
export type SandboxOptions = z.infer<typeof SandboxOptionsSchema>;
export type SandboxOptionsInput = z.input<typeof SandboxOptionsSchema>;

/**
 * The longest timeout Node's timers hold: past 2^31-1 ms (24.8 days) setTimeout fires at once, so a
 * larger --timeout would kill the command immediately. Larger values are refused, not clamped.
 */
export const MAX_TIMEOUT_MS = 2 ** 31 - 1;
export const MAX_TIMEOUT_SECONDS = Math.floor(MAX_TIMEOUT_MS / 1000);

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
}

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
  destroy(): Promise<void>;
}

export interface SandboxBackend {
  readonly name: string;
  create(options?: SandboxOptionsInput): Promise<Sandbox>;
  list(): Sandbox[];
  get(id: string): Sandbox | undefined;
  /** Destroys every sandbox this backend created. */
  close(): Promise<void>;
}
