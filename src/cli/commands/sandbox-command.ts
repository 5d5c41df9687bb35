// `praetor sandbox create|exec|ls|rm|shell`: sandboxes that outlive one command, kept by praetord.
// Every subcommand needs the daemon; without one it says so in one line (exit 69).
import { Command, Option } from 'commander';
import { collectRepeated } from '../options.js';
import { requireDaemon } from '../daemon-target.js';
import type { SandboxCreateFlags, SandboxExecFlags } from '../sandbox-remote.js';

export function sandboxCommand(): Command {
  const sandbox = new Command('sandbox').description('Sandboxes kept by praetord between commands: create, exec, ls, rm, shell (needs praetord).');
  sandbox
    .command('create')
    .description('Create a guarded sandbox and print its id.')
    .option('--allow-domain <domain>', 'allow egress to this domain (repeatable)', collectRepeated, [])
    .option('--deny-domain <domain>', 'always deny this domain (repeatable)', collectRepeated, [])
    .option('--cpus <n>', 'CPU quota in cores')
    .option('--memory <size>', 'memory limit, e.g. 512m or 2g')
    .option('--pids <n>', 'maximum number of tasks')
    .option('--workspace <dir>', 'upload this directory into /workspace')
    .option('--env <KEY=VALUE>', 'environment variable inside (repeatable)', collectRepeated, [])
    .option('--label <KEY=VALUE>', 'label (repeatable)', collectRepeated, [])
    .addOption(new Option('--guard <mode>', 'what the guard does on an alert').choices(['monitor', 'block', 'freeze', 'terminate']))
    .option('--json', 'print the sandbox as JSON')
    .action(async (flags: SandboxCreateFlags) => {
      const target = await requireDaemon();
      await (await import('../sandbox-remote.js')).createSandbox(target, flags);
    });
  sandbox
    .command('exec')
    .description("Run a command as the sandbox's next step; its output streams, its exit code is praetor's.")
    .argument('<id>', 'sandbox id')
    .argument('<command...>', 'the command and its arguments (put them after --)')
    .option('--cwd <dir>', 'working directory inside (default /workspace)')
    .option('--env <KEY=VALUE>', 'environment variable for this command (repeatable)', collectRepeated, [])
    .option('--timeout <seconds>', 'kill the command and everything it started after this long')
    .option('--json', 'print the result (with its alerts) as JSON instead of streaming')
    .action(async (id: string, command: string[], flags: SandboxExecFlags) => {
      const target = await requireDaemon();
      process.exitCode = await (await import('../sandbox-remote.js')).execInSandbox(target, id, command, flags);
    });
  sandbox
    .command('ls')
    .description('List the sandboxes this key may see.')
    .option('--json', 'print them as JSON')
    .action(async (flags: { json?: boolean }) => {
      const target = await requireDaemon();
      await (await import('../sandbox-remote.js')).listSandboxes(target, flags.json === true);
    });
  sandbox
    .command('rm')
    .description('Destroy sandboxes.')
    .argument('<id...>', 'sandbox ids')
    .action(async (ids: string[]) => {
      const target = await requireDaemon();
      await (await import('../sandbox-remote.js')).removeSandboxes(target, ids);
    });
  sandbox
    .command('shell')
    .description('An interactive shell in the sandbox: each line runs as a step of one persistent bash session (cd and export persist).')
    .argument('<id>', 'sandbox id')
    .action(async (id: string) => {
      const target = await requireDaemon();
      process.exitCode = await (await import('../sandbox-shell.js')).sandboxShell(target, id);
    });
  return sandbox;
}
