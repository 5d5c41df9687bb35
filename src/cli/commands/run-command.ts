// `praetor run`: a fresh guarded sandbox, one command, destroy; the network record, the guard's
// alerts and its actions come back with it.
import { Command, Option } from 'commander';
import type { ExecResult } from '../../sandbox/backend.js';
import { LocalBackend } from '../../sandbox/local/local-backend.js';
import { PraetorError } from '../../core/errors.js';
import { EXIT } from '../exit-codes.js';
import { describeNetworkEvent, networkRows } from '../network-format.js';
import { Guard } from '../../guard/guard.js';
import type { GuardMode } from '../../guard/guard-policy.js';
import { alertRows, describeAlert } from '../alert-format.js';
import { collectRepeated } from '../options.js';

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
  guard: GuardMode;
}

function positiveNumber(flag: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) throw new PraetorError('usage', `${flag} needs a positive number, got "${value}"`);
  return n;
}

function parseEnv(pairs: readonly string[]): Record<string, string> {
  const env: Record<string, string> = {};
  for (const pair of pairs) {
    const eq = pair.indexOf('=');
    if (eq <= 0) throw new PraetorError('usage', `--env needs KEY=VALUE, got "${pair}"`);
    env[pair.slice(0, eq)] = pair.slice(eq + 1);
  }
  return env;
}

export function runCommand(): Command {
  return new Command('run')
    .description('Run one command in a fresh guarded sandbox, then destroy it.')
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
    .action(async (command: string[], flags: RunFlags) => {
      const timeoutSeconds = positiveNumber('--timeout', flags.timeout);
      const pids = positiveNumber('--pids', flags.pids);
      const guard = new Guard({ policy: { mode: flags.guard } });
      await guard.start();
      const backend = new LocalBackend({ observer: guard });
      if (!flags.json) guard.onAlert((alert) => process.stderr.write(`praetor: ${describeAlert(alert)}\n`));
      const onSignal = (): void => {
        void backend.close().finally(() => process.exit(130));
      };
      process.once('SIGINT', onSignal);
      process.once('SIGTERM', onSignal);
      try {
        const sandbox = await backend.create({
          allowDomains: flags.allowDomain,
          denyDomains: flags.denyDomain,
          ...(flags.cpus !== undefined ? { cpus: positiveNumber('--cpus', flags.cpus) } : {}),
          ...(flags.memory !== undefined ? { memory: flags.memory } : {}),
          ...(pids !== undefined ? { pids: Math.floor(pids) } : {}),
          ...(flags.workspace !== undefined ? { workspace: flags.workspace } : {}),
          env: parseEnv(flags.env),
        });
        const result: ExecResult = await sandbox.exec(command, {
          ...(timeoutSeconds !== undefined ? { timeoutMs: timeoutSeconds * 1000 } : {}),
          ...(flags.json ? {} : { onStdout: (c) => process.stdout.write(c), onStderr: (c) => process.stderr.write(c) }),
        });
        await sandbox.flushNetworkEvents();
        await guard.settle();
        const events = [...sandbox.networkEvents()];
        const alerts = [...guard.alerts(sandbox.id)];
        const actions = [...guard.actions(sandbox.id)];
        await backend.close();
        if (flags.json) {
          process.stdout.write(
            `${JSON.stringify({
              sandboxId: sandbox.id,
              exitCode: result.exitCode,
              signal: result.signal,
              timedOut: result.timedOut,
              durationMs: Math.round(result.durationMs * 10) / 10,
              stdout: result.stdout.toString(),
              stderr: result.stderr.toString(),
              stdoutTruncated: result.stdoutTruncated,
              stderrTruncated: result.stderrTruncated,
              network: networkRows(events),
              alerts: alertRows(alerts),
              actions,
            })}\n`,
          );
        } else {
          for (const e of events) process.stderr.write(`praetor: ${describeNetworkEvent(e)}\n`);
          if (result.timedOut) process.stderr.write(`praetor: killed after --timeout ${flags.timeout}s\n`);
        }
        process.exitCode = result.timedOut ? EXIT.timeout : (result.exitCode ?? 128 + 9);
      } finally {
        process.off('SIGINT', onSignal);
        process.off('SIGTERM', onSignal);
        await backend.close().catch(() => undefined);
        await guard.stop();
      }
    });
}
