// What `praetor sandbox create|exec|ls|rm` do, through praetord's API.
import { PraetorError } from '../core/errors.js';
import type { DaemonTarget } from '../client/target.js';
import type { ExecResult } from '../client/types.js';
import { EXIT } from './exit-codes.js';
import { parseEnvPairs } from './run-request.js';
import { clientFor, describeApiAlert, tarDirectory, viaDaemon } from './remote.js';

/** The flags of `praetor sandbox create` (commander fills them). */
export interface SandboxCreateFlags {
  allowDomain: string[];
  denyDomain: string[];
  cpus?: string;
  memory?: string;
  pids?: string;
  workspace?: string;
  env: string[];
  label: string[];
  guard?: string;
  json?: boolean;
}

/** The flags of `praetor sandbox exec`. */
export interface SandboxExecFlags {
  cwd?: string;
  env: string[];
  timeout?: string;
  json?: boolean;
}

function positive(flag: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) throw new PraetorError('usage', `${flag} needs a positive number, got "${value}"`);
  return n;
}

export async function createSandbox(target: DaemonTarget, flags: SandboxCreateFlags): Promise<void> {
  const cpus = positive('--cpus', flags.cpus);
  const pids = positive('--pids', flags.pids);
  const env = parseEnvPairs(flags.env);
  const labels = parseEnvPairs(flags.label, '--label');
  const workspace = flags.workspace !== undefined ? await tarDirectory(flags.workspace) : undefined;
  const praetor = clientFor(target);
  try {
    const sandbox = await viaDaemon(target, () =>
      praetor.sandboxes.create({
        allowDomains: flags.allowDomain,
        denyDomains: flags.denyDomain,
        env,
        labels,
        ...(cpus !== undefined ? { cpus } : {}),
        ...(pids !== undefined ? { pids: Math.floor(pids) } : {}),
        ...(flags.memory !== undefined ? { memory: flags.memory } : {}),
        ...(flags.guard !== undefined ? { guardMode: flags.guard as 'block' } : {}),
        ...(workspace !== undefined ? { workspace } : {}),
      }),
    );
    process.stdout.write(flags.json ? `${JSON.stringify(sandbox.record)}\n` : `${sandbox.id}\n`);
  } finally {
    praetor.close();
  }
}

export async function execInSandbox(target: DaemonTarget, id: string, command: string[], flags: SandboxExecFlags): Promise<number> {
  const timeout = positive('--timeout', flags.timeout);
  const options = {
    ...(flags.cwd !== undefined ? { cwd: flags.cwd } : {}),
    ...(flags.env.length > 0 ? { env: parseEnvPairs(flags.env) } : {}),
    ...(timeout !== undefined ? { timeoutMs: Math.round(timeout * 1000) } : {}),
  };
  const praetor = clientFor(target);
  const sandbox = praetor.sandboxes.handle(id);
  try {
    return await viaDaemon(target, async () => {
      let result: ExecResult | undefined;
      if (flags.json) {
        result = await sandbox.exec(command, options);
        process.stdout.write(`${JSON.stringify(result)}\n`);
      } else {
        for await (const e of sandbox.execStream(command, options)) {
          if (e.type === 'stdout') process.stdout.write(e.data);
          else if (e.type === 'stderr') process.stderr.write(e.data);
          else if (e.type === 'alert') process.stderr.write(`praetor: ${describeApiAlert(e.alert)}\n`);
          else if (e.type === 'exit') result = e.result;
        }
        if (result?.timedOut) process.stderr.write(`praetor: killed after --timeout ${flags.timeout ?? ''}s\n`);
      }
      if (result === undefined) return EXIT.sandboxFailure;
      return result.timedOut ? EXIT.timeout : (result.exitCode ?? 128 + 9);
    });
  } finally {
    praetor.close();
  }
}

export async function listSandboxes(target: DaemonTarget, json: boolean): Promise<void> {
  const praetor = clientFor(target);
  try {
    const sandboxes = await viaDaemon(target, () => praetor.sandboxes.list());
    if (json) {
      process.stdout.write(`${JSON.stringify(sandboxes)}\n`);
      return;
    }
    const rows = sandboxes.map((s) => [s.id, s.state, String(s.steps ?? ''), new Date(s.createdAt).toISOString(), s.owner]);
    const header = ['ID', 'STATE', 'STEPS', 'CREATED', 'OWNER'];
    const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
    for (const r of [header, ...rows]) process.stdout.write(`${r.map((c, i) => c.padEnd(widths[i] ?? 0)).join('  ').trimEnd()}\n`);
  } finally {
    praetor.close();
  }
}

export async function removeSandboxes(target: DaemonTarget, ids: readonly string[]): Promise<void> {
  const praetor = clientFor(target);
  try {
    for (const id of ids) await viaDaemon(target, () => praetor.sandboxes.destroy(id));
  } finally {
    praetor.close();
  }
}
