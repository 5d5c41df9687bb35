// `praetor run`: a fresh guarded sandbox, one command, destroy; the network record, the guard's
// alerts and its actions come back with it.
import { Command, Option } from 'commander';
import { MAX_TIMEOUT_SECONDS, type ExecResult } from '../../sandbox/backend.js';
import { openBackend } from '../../sandbox/open-backend.js';
import { PraetorError } from '../../core/errors.js';
import { EXIT } from '../exit-codes.js';
import { describeNetworkEvent, networkRows } from '../network-format.js';
import { Guard } from '../../guard/guard.js';
import type { GuardMode } from '../../guard/guard-policy.js';
import { alertRows, describeAlert } from '../alert-format.js';
import { collectRepeated } from '../options.js';
import { requireDirectory } from '../cli-errors.js';
import { loadPolicyGate, policyModeOption, policyOption, terminalApprover } from '../policy-flag.js';

interface RunFlags {
  allowDomain: string[];
  denyDomain: string[];
  allowCidr: string[];
  cpus?: string;
  memory?: string;
  disk?: string;
  pids?: string;
  timeout?: string;
  workspace?: string;
  env: string[];
  json?: boolean;
  guard: GuardMode;
  policy?: string;
  policyMode?: string;
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
    .option(
      '--allow-domain <domain>',
      'allow egress to this domain on ports 80 and 443, or on the port named as domain:port (repeatable; *.x.com for subdomains)',
      collectRepeated,
      [],
    )
    .option('--deny-domain <domain>', 'always deny this domain, or only its port as domain:port (repeatable)', collectRepeated, [])
    .option(
      '--allow-cidr <cidr>',
      'let allowed names reach this internal range (loopback, private, this host; e.g. 10.0.0.0/24; repeatable)',
      collectRepeated,
      [],
    )
    .option('--cpus <n>', 'CPU quota in cores (default 1)')
    .option('--memory <size>', 'memory limit, e.g. 512m or 2g (default 2g)')
    .option('--disk <size>', 'room for /workspace and /tmp together, e.g. 256m or 4g (default 1g); ENOSPC past it')
    .option('--pids <n>', 'maximum number of tasks (default 512)')
    .option('--timeout <seconds>', `kill the command and everything it started after this long (at most ${MAX_TIMEOUT_SECONDS})`)
    .option('--workspace <dir>', 'copy this directory into /workspace')
    .option('--env <KEY=VALUE>', 'set an environment variable inside (repeatable)', collectRepeated, [])
    .addOption(
      new Option('--guard <mode>', 'what the guard does on an alert')
        .choices(['monitor', 'block', 'freeze', 'terminate'])
        .default('block'),
    )
    .addOption(new Option('--json', 'print one JSON object with the result, the network record and the alerts'))
    .addOption(policyOption())
    .addOption(policyModeOption())
    .action(async (command: string[], flags: RunFlags) => {
      const timeoutSeconds = positiveNumber('--timeout', flags.timeout);
      // Node's timers hold at most 2^31-1 ms: a longer --timeout would fire at once.
      if (timeoutSeconds !== undefined && timeoutSeconds > MAX_TIMEOUT_SECONDS) {
        throw new PraetorError('usage', `--timeout is at most ${MAX_TIMEOUT_SECONDS} seconds (24.8 days), got "${flags.timeout ?? ''}"`);
      }
      const pids = positiveNumber('--pids', flags.pids);
      const cpus = positiveNumber('--cpus', flags.cpus);
      const env = parseEnv(flags.env);
      if (flags.workspace !== undefined) await requireDirectory(flags.workspace, '--workspace');
      const commandPolicy = await loadPolicyGate(flags.policy, flags.policyMode, flags.json ? undefined : terminalApprover());
      const guard = new Guard({ policy: { mode: flags.guard }, ...(commandPolicy ? { commandPolicy } : {}) });
      await guard.start();
      const backend = openBackend({ observer: guard });
      if (!flags.json) guard.events.subscribe({ kinds: ['alert'] }, (e) => process.stderr.write(`praetor: ${describeAlert(e.alert)}\n`));
      const onSignal = (): void => {
        void backend.close().finally(() => process.exit(EXIT.interrupted));
      };
      process.once('SIGINT', onSignal);
      process.once('SIGTERM', onSignal);
      try {
        const sandbox = await backend.create({
          allowDomains: flags.allowDomain,
          denyDomains: flags.denyDomain,
          allowCidrs: flags.allowCidr,
          ...(cpus !== undefined ? { cpus } : {}),
          ...(flags.memory !== undefined ? { memory: flags.memory } : {}),
          ...(flags.disk !== undefined ? { disk: flags.disk } : {}),
          ...(pids !== undefined ? { pids: Math.floor(pids) } : {}),
          ...(flags.workspace !== undefined ? { workspace: flags.workspace } : {}),
          env,
        });
        const result: ExecResult = await sandbox.exec(command, {
          ...(timeoutSeconds !== undefined ? { timeoutMs: Math.round(timeoutSeconds * 1000) } : {}),
          ...(flags.json ? {} : { onStdout: (c) => process.stdout.write(c), onStderr: (c) => process.stderr.write(c) }),
        });
        await sandbox.flushNetworkEvents();
        await guard.settle();
        const events = [...sandbox.networkEvents()];
        const alerts = [...guard.alerts(sandbox.id)];
        const actions = [...guard.actions(sandbox.id)];
        const policy = [...guard.policyDecisions(sandbox.id)];
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
              policy,
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
