// `praetor run`'s flags in one table, read two ways: commander builds the command (help, usage)
// from it, and the one-shot fast path parses argv with node's util.parseArgs, so a run through
// praetord never loads commander (15 ms of a 100 ms start). Then where the run goes: praetord
// when one answers, this process otherwise.
import { parseArgs } from 'node:util';
import { PraetorError } from '../core/errors.js';
import { parseGpusFlag, type GpuRequest } from '../sandbox/gpu/gpu-selector.js';

export const GUARD_MODES = ['monitor', 'block', 'freeze', 'terminate'] as const;
export type GuardModeFlag = (typeof GUARD_MODES)[number];

export interface RunFlag {
  /** The long flag without dashes, as commander and parseArgs both name it. */
  readonly name: string;
  readonly value?: string;
  readonly description: string;
  readonly repeatable?: boolean;
  readonly choices?: readonly string[];
  readonly defaultValue?: string;
}

export const RUN_FLAGS: readonly RunFlag[] = [
  {
    name: 'allow-domain',
    value: 'domain',
    description: 'allow egress to this domain on ports 80 and 443, or on the port named as domain:port (repeatable; *.x.com for subdomains)',
    repeatable: true,
  },
  { name: 'deny-domain', value: 'domain', description: 'always deny this domain, or only its port as domain:port (repeatable)', repeatable: true },
  {
    name: 'allow-cidr',
    value: 'cidr',
    description: 'let allowed names reach this internal range (loopback, private, this host; e.g. 10.0.0.0/24; repeatable)',
    repeatable: true,
  },
  { name: 'cpus', value: 'n', description: 'CPU quota in cores (default 1)' },
  { name: 'memory', value: 'size', description: 'memory limit, e.g. 512m or 2g (default 2g)' },
  { name: 'disk', value: 'size', description: 'room for /workspace and /tmp together, e.g. 256m or 4g (default 1g); ENOSPC past it' },
  { name: 'pids', value: 'n', description: 'maximum number of tasks (default 512)' },
  { name: 'timeout', value: 'seconds', description: 'kill the command and everything it started after this long' },
  { name: 'workspace', value: 'dir', description: 'copy this directory into /workspace' },
  { name: 'env', value: 'KEY=VALUE', description: 'set an environment variable inside (repeatable)', repeatable: true },
  { name: 'guard', value: 'mode', description: 'what the guard does on an alert', choices: GUARD_MODES, defaultValue: 'block' },
  { name: 'json', description: 'print one JSON object with the result, the network record and the alerts' },
  {
    name: 'policy',
    value: 'FILE|preset',
    description: 'command policy checked before every command runs: a YAML file or a preset (default, strict, permissive); runs in this process',
  },
  { name: 'policy-mode', value: 'mode', description: 'strict: what praetor can not resolve is denied; ask: it is asked about', choices: ['ask', 'strict'] },
  { name: 'local', description: 'run in this process even when praetord answers' },
  {
    name: 'gpus',
    value: 'n|list',
    description: 'GPUs to grant: a count (2), or which: indexes (0,1 or index:0), GPU-/MIG- uuids, GPU:device for a MIG instance',
  },
  { name: 'gpu-shared', description: 'share the granted GPUs with other sharing sandboxes instead of holding them alone' },
  { name: 'allow-unmonitored-gpu', description: 'grant GPUs even where GPU monitoring does not work (recorded on the sandbox)' },
  { name: 'no-bait', description: 'plant no bait credentials in the home (docs/bait.md): for a task that uses cloud SDKs or ssh without its own keys' },
];

/** Flag values by name, as either parser leaves them. */
export type RunFlagValues = Readonly<Record<string, string | string[] | boolean | undefined>>;

/** What `praetor run` asks for, checked, in the terms both paths share. */
export interface RunRequest {
  readonly command: readonly string[];
  readonly sandbox: {
    readonly allowDomains: string[];
    readonly denyDomains: string[];
    readonly allowCidrs: string[];
    readonly cpus?: number;
    readonly memory?: string;
    readonly disk?: string;
    readonly pids?: number;
    readonly workspace?: string;
    readonly env: Record<string, string>;
    readonly gpus?: GpuRequest;
    readonly gpuShared?: boolean;
    readonly allowUnmonitoredGpu?: boolean;
    readonly bait?: boolean;
  };
  readonly timeoutSeconds?: number;
  readonly timeoutText?: string;
  readonly json: boolean;
  readonly guard: GuardModeFlag;
  /** A command policy (file or preset) and its mode: this process enforces them, so the run stays here. */
  readonly policy?: string;
  readonly policyMode?: string;
  readonly local: boolean;
}

const MAX_TIMEOUT_SECONDS = 2_147_483;

function positiveNumber(flag: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) throw new PraetorError('usage', `${flag} needs a positive number, got "${value}"`);
  return n;
}

export function parseEnvPairs(pairs: readonly string[], flag = '--env'): Record<string, string> {
  const env: Record<string, string> = {};
  for (const pair of pairs) {
    const eq = pair.indexOf('=');
    if (eq <= 0) throw new PraetorError('usage', `${flag} needs KEY=VALUE, got "${pair}"`);
    env[pair.slice(0, eq)] = pair.slice(eq + 1);
  }
  return env;
}

function text(values: RunFlagValues, name: string): string | undefined {
  const v = values[name];
  return typeof v === 'string' ? v : undefined;
}

function list(values: RunFlagValues, name: string): string[] {
  const v = values[name];
  return Array.isArray(v) ? v : typeof v === 'string' ? [v] : [];
}

export function runRequest(command: readonly string[], values: RunFlagValues): RunRequest {
  if (command.length === 0) throw new PraetorError('usage', "praetor run needs a command: praetor run [options] -- <command...>");
  const timeoutSeconds = positiveNumber('--timeout', text(values, 'timeout'));
  // Node's timers hold at most 2^31-1 ms: a longer --timeout would fire at once. The same bound as
  // MAX_TIMEOUT_SECONDS in sandbox/backend.ts, not imported: this module stays light for the fast path.
  if (timeoutSeconds !== undefined && timeoutSeconds > MAX_TIMEOUT_SECONDS) {
    throw new PraetorError('usage', `--timeout is at most ${MAX_TIMEOUT_SECONDS} seconds (24.8 days), got "${text(values, 'timeout') ?? ''}"`);
  }
  const pids = positiveNumber('--pids', text(values, 'pids'));
  const cpus = positiveNumber('--cpus', text(values, 'cpus'));
  const guard = text(values, 'guard') ?? 'block';
  if (!(GUARD_MODES as readonly string[]).includes(guard)) throw new PraetorError('usage', `--guard must be ${GUARD_MODES.join(', ')}, got "${guard}"`);
  const memory = text(values, 'memory');
  const disk = text(values, 'disk');
  const workspace = text(values, 'workspace');
  const policy = text(values, 'policy');
  const policyMode = text(values, 'policy-mode');
  const gpusText = text(values, 'gpus');
  const gpus = gpusText === undefined ? undefined : parseGpusFlag(gpusText);
  if (gpus === undefined && (values['gpu-shared'] === true || values['allow-unmonitored-gpu'] === true)) {
    throw new PraetorError('usage', '--gpu-shared and --allow-unmonitored-gpu go with --gpus');
  }
  if (policyMode !== undefined && policyMode !== 'ask' && policyMode !== 'strict') throw new PraetorError('usage', `--policy-mode must be ask or strict, got "${policyMode}"`);
  return {
    command,
    sandbox: {
      allowDomains: list(values, 'allow-domain'),
      denyDomains: list(values, 'deny-domain'),
      allowCidrs: list(values, 'allow-cidr'),
      ...(cpus !== undefined ? { cpus } : {}),
      ...(memory !== undefined ? { memory } : {}),
      ...(disk !== undefined ? { disk } : {}),
      ...(pids !== undefined ? { pids: Math.floor(pids) } : {}),
      ...(workspace !== undefined ? { workspace } : {}),
      env: parseEnvPairs(list(values, 'env')),
      ...(gpus !== undefined ? { gpus } : {}),
      ...(values['gpu-shared'] === true ? { gpuShared: true } : {}),
      ...(values['allow-unmonitored-gpu'] === true ? { allowUnmonitoredGpu: true } : {}),
      ...(values['no-bait'] === true ? { bait: false } : {}),
    },
    ...(timeoutSeconds !== undefined ? { timeoutSeconds, timeoutText: text(values, 'timeout') } : {}),
    json: values.json === true,
    guard: guard as GuardModeFlag,
    ...(policy !== undefined ? { policy } : {}),
    ...(policyMode !== undefined ? { policyMode } : {}),
    local: values.local === true,
  };
}

/**
 * The fast path's parse of `praetor run ARGS` (argv after `run`); null when it is not for the fast
 * path (help asked for: commander prints it). Bad flags are a one-line usage error.
 */
export function parseRunArgv(args: readonly string[]): RunRequest | null {
  const end = args.indexOf('--');
  const own = end < 0 ? args : args.slice(0, end);
  if (own.includes('--help') || own.includes('-h')) return null;
  const options: Record<string, { type: 'string' | 'boolean'; multiple?: boolean }> = {};
  for (const f of RUN_FLAGS) options[f.name] = { type: f.value === undefined ? 'boolean' : 'string', ...(f.repeatable ? { multiple: true } : {}) };
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({ args: [...args], options, allowPositionals: true, strict: true });
  } catch (err) {
    throw new PraetorError('usage', `praetor run: ${(err as Error).message.split('. ')[0] ?? 'bad arguments'} (see praetor run --help)`);
  }
  return runRequest(parsed.positionals, parsed.values as RunFlagValues);
}
