#!/usr/bin/env node
// praetor's command-line entry point: builds the program and turns every failure into one line on
// stderr and a documented exit code (exit-codes.ts); --debug adds the stack trace.
import { Command } from 'commander';
import { describeFailure } from './exit-codes.js';
import { runCommand } from './commands/run-command.js';
import { gcCommand } from './commands/gc-command.js';
import { benchCommand } from './commands/bench-command.js';
import { demoCommand } from './commands/demo-command.js';
import { rulesCommand } from './commands/rules-command.js';
import { episodeCommand } from './commands/episode-command.js';
import { exportCommand, filterCommand } from './commands/export-command.js';
import { benchGuardCommand } from './commands/bench-guard-command.js';
import { benchEpisodesCommand } from './commands/bench-episodes-command.js';
import { serveCommand } from './commands/serve-command.js';
import { redteamCommand } from './commands/redteam-command.js';
import { policyCommand } from './commands/policy-command.js';

const VERSION = '0.1.0';

/** Every command and subcommand: errors come back as exceptions, printed once by main(). */
function quiet(command: Command): Command {
  command.exitOverride().configureOutput({ outputError: () => undefined });
  for (const sub of command.commands) quiet(sub);
  return command;
}

export function buildProgram(): Command {
  const program = new Command('praetor')
    .description('Run autonomous AI agents in guarded sandboxes.')
    .version(VERSION)
    .option('--debug', 'print the stack trace of an error');
  for (const command of [demoCommand(VERSION), redteamCommand(VERSION), runCommand(), episodeCommand(), exportCommand(), filterCommand(), serveCommand(), rulesCommand(), policyCommand(), gcCommand(), benchCommand(), benchGuardCommand(), benchEpisodesCommand()]) program.addCommand(command);
  return quiet(program);
}

/** --debug anywhere among praetor's own arguments (not in a command after --), or PRAETOR_DEBUG=1. */
export function debugWanted(argv: readonly string[], env: NodeJS.ProcessEnv = process.env): boolean {
  const end = argv.indexOf('--');
  return (end === -1 ? argv : argv.slice(0, end)).includes('--debug') || env.PRAETOR_DEBUG === '1';
}

function report(err: unknown, debug: boolean): number {
  const { message, exitCode } = describeFailure(err);
  if (exitCode === 0 || message === '') return exitCode; // help and --version printed already
  process.stderr.write(`praetor: ${message}\n`);
  if (debug && err instanceof Error && err.stack) process.stderr.write(`${err.stack}\n`);
  return exitCode;
}

async function main(argv: readonly string[]): Promise<void> {
  const debug = debugWanted(argv);
  // Whatever escapes a command (an 'error' event nobody listens to, a rejection nobody awaits)
  // still ends as one line and a code, with everything the command holds torn down by exit.
  process.on('uncaughtException', (err) => process.exit(report(err, debug)));
  process.on('unhandledRejection', (err) => process.exit(report(err, debug)));
  try {
    await buildProgram().parseAsync(argv, { from: 'user' });
  } catch (err) {
    process.exitCode = report(err, debug);
  }
}

await main(process.argv.slice(2));
