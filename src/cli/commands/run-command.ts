// `praetor run`: a fresh guarded sandbox, one command, destroy; the network record, the guard's
// alerts and its actions come back with it. Through the daemon when one answers, in this process
// otherwise; each path loads its modules only when it runs.
import { Command, Option } from 'commander';
import { PraetorError } from '../../core/errors.js';
import { collectRepeated } from '../options.js';
import { findDaemon } from '../daemon-target.js';

export type GuardModeFlag = 'monitor' | 'block' | 'freeze' | 'terminate';

interface RunFlags {
  allowDomain: string[];
  denyDomain: string[];
  cpus?: string;
  memory?: string;
  pids?: string;
  timeout?: string;
  workspace?: string;
  env: string[];
  json?: boolean;
  guard: GuardModeFlag;
  local?: boolean;
}

/** What `praetor run` asks for, checked, in the terms both paths share. */
export interface RunRequest {
  readonly command: readonly string[];
  readonly sandbox: {
    readonly allowDomains: string[];
    readonly denyDomains: string[];
    readonly cpus?: number;
    readonly memory?: string;
    readonly pids?: number;
    readonly workspace?: string;
    readonly env: Record<string, string>;
  };
  readonly timeoutSeconds?: number;
  readonly timeoutText?: string;
  readonly json: boolean;
  readonly guard: GuardModeFlag;
}

function positiveNumber(flag: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) throw new PraetorError('usage', `${flag} needs a positive number, got "${value}"`);
  return n;
}

export function parseEnvPairs(pairs: readonly string[]): Record<string, string> {
  const env: Record<string, string> = {};
  for (const pair of pairs) {
    const eq = pair.indexOf('=');
    if (eq <= 0) throw new PraetorError('usage', `--env needs KEY=VALUE, got "${pair}"`);
    env[pair.slice(0, eq)] = pair.slice(eq + 1);
  }
  return env;
}

function runRequest(command: string[], flags: RunFlags): RunRequest {
  const timeoutSeconds = positiveNumber('--timeout', flags.timeout);
  const pids = positiveNumber('--pids', flags.pids);
  const cpus = positiveNumber('--cpus', flags.cpus);
  return {
    command,
    sandbox: {
      allowDomains: flags.allowDomain,
      denyDomains: flags.denyDomain,
      ...(cpus !== undefined ? { cpus } : {}),
      ...(flags.memory !== undefined ? { memory: flags.memory } : {}),
      ...(pids !== undefined ? { pids: Math.floor(pids) } : {}),
      ...(flags.workspace !== undefined ? { workspace: flags.workspace } : {}),
      env: parseEnvPairs(flags.env),
    },
    ...(timeoutSeconds !== undefined ? { timeoutSeconds, timeoutText: flags.timeout } : {}),
    json: flags.json === true,
    guard: flags.guard,
  };
}

export function runCommand(): Command {
  return new Command('run')
    .description('Run one command in a fresh guarded sandbox, then destroy it (through praetord when it runs).')
    .argument('<command...>', 'the command and its arguments (put them after --)')
    .option('--allow-domain <domain>', 'allow egress to this domain (repeatable; *.x.com for subdomains)', collectRepeated, [])
    .option('--deny-domain <domain>', 'always deny this domain (repeatable)', collectRepeated, [])
    .option('--cpus <n>', 'CPU quota in cores (default 1)')
    .option('--memory <size>', 'memory limit, e.g. 512m or 2g (default 2g)')
    .option('--pids <n>', 'maximum number of tasks (default 512)')
    .option('--timeout <seconds>', 'kill the command and everything it started after this long')
    .option('--workspace <dir>', 'copy this directory into /workspace')
    .option('--env <KEY=VALUE>', 'set an environment variable inside (repeatable)', collectRepeated, [])
    .addOption(
      new Option('--guard <mode>', 'what the guard does on an alert')
        .choices(['monitor', 'block', 'freeze', 'terminate'])
        .default('block'),
    )
    .addOption(new Option('--json', 'print one JSON object with the result, the network record and the alerts'))
    .addOption(new Option('--local', 'run in this process even when praetord answers'))
    .action(async (command: string[], flags: RunFlags) => {
      const request = runRequest(command, flags);
      const daemon = flags.local === true ? null : await findDaemon();
      if (daemon !== null) {
        const { runRemote } = await import('../run-remote.js');
        process.exitCode = await runRemote(daemon, request);
      } else {
        const { runLocal } = await import('../run-local.js');
        process.exitCode = await runLocal(request);
      }
    });
}
