// The praetor command as commander builds it, with only the command being run loaded: every
// command's modules together cost about 0.3 s of start-up.
import { Command } from 'commander';

export const VERSION = '0.1.0';

type CommandLoader = () => Promise<Command[]>;

/** Each top-level command name and how to load its definition (the module that builds it). */
const COMMANDS: ReadonlyMap<string, CommandLoader> = new Map<string, CommandLoader>([
  ['demo', async () => [(await import('./commands/demo-command.js')).demoCommand(VERSION)]],
  ['redteam', async () => [(await import('./commands/redteam-command.js')).redteamCommand(VERSION)]],
  ['run', async () => [(await import('./commands/run-command.js')).runCommand()]],
  ['sandbox', async () => [(await import('./commands/sandbox-command.js')).sandboxCommand()]],
  ['episode', async () => [(await import('./commands/episode-command.js')).episodeCommand()]],
  ['export', async () => [(await import('./commands/export-command.js')).exportCommand()]],
  ['filter', async () => [(await import('./commands/export-command.js')).filterCommand()]],
  ['serve', async () => [(await import('./commands/serve-command.js')).serveCommand(VERSION)]],
  ['mcp', async () => [(await import('./commands/mcp-command.js')).mcpCommand(VERSION)]],
  ['keys', async () => [(await import('./commands/keys-command.js')).keysCommand()]],
  ['rules', async () => [(await import('./commands/rules-command.js')).rulesCommand()]],
  ['policy', async () => [(await import('./commands/policy-command.js')).policyCommand()]],
  ['gc', async () => [(await import('./commands/gc-command.js')).gcCommand()]],
  ['bench', async () => [(await import('./commands/bench-command.js')).benchCommand()]],
  ['bench-guard', async () => [(await import('./commands/bench-guard-command.js')).benchGuardCommand()]],
  ['bench-episodes', async () => [(await import('./commands/bench-episodes-command.js')).benchEpisodesCommand()]],
]);

/** The command `argv` names: its first word that is not an option (praetor has no global option taking a value). */
export function commandName(argv: readonly string[]): string | undefined {
  for (const arg of argv) {
    if (arg === '--') return undefined;
    if (!arg.startsWith('-')) return arg;
  }
  return undefined;
}

/**
 * The program with the command `argv` names, or with every command when it names none that
 * exists (help, a typo: commander then lists them all).
 */
export async function buildProgram(argv: readonly string[] = []): Promise<Command> {
  const program = new Command('praetor')
    .description('Run autonomous AI agents in guarded sandboxes.')
    .version(VERSION)
    .option('--debug', 'print the stack trace of an error');
  quiet(program);
  const name = commandName(argv);
  const one = name === undefined ? undefined : COMMANDS.get(name);
  const loaders = one !== undefined ? [one] : [...new Set(COMMANDS.values())];
  for (const load of loaders) for (const command of await load()) program.addCommand(quiet(command));
  return program;
}

/**
 * Every command and subcommand, however deep: errors come back to main's handler as exceptions
 * (not process.exit), and main prints them once, as one line with its exit code.
 */
function quiet(command: Command): Command {
  command.exitOverride().configureOutput({ outputError: () => undefined });
  for (const sub of command.commands) quiet(sub);
  return command;
}
