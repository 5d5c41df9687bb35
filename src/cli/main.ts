#!/usr/bin/env node
// praetor's command-line entry point: builds the program and maps every error to an exit code.
import { Command, CommanderError } from 'commander';
import { PraetorError, errorMessage } from '../core/errors.js';
import { EXIT, exitCodeFor } from './exit-codes.js';
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

export function buildProgram(): Command {
  const program = new Command('praetor')
    .description('Run autonomous AI agents in guarded sandboxes.')
    .version(VERSION)
    .showHelpAfterError()
    .exitOverride();
  for (const command of [demoCommand(VERSION), redteamCommand(VERSION), runCommand(), episodeCommand(), exportCommand(), filterCommand(), serveCommand(), rulesCommand(), policyCommand(), gcCommand(), benchCommand(), benchGuardCommand(), benchEpisodesCommand()]) program.addCommand(command.exitOverride());
  return program;
}

async function main(argv: readonly string[]): Promise<void> {
  try {
    await buildProgram().parseAsync(argv, { from: 'user' });
  } catch (err) {
    if (err instanceof CommanderError) {
      process.exitCode = err.exitCode === 0 ? EXIT.ok : EXIT.usage;
      return;
    }
    if (err instanceof PraetorError) {
      process.stderr.write(`praetor: ${err.message}\n`);
      process.exitCode = exitCodeFor(err.code);
      return;
    }
    process.stderr.write(`praetor: internal error: ${errorMessage(err)}\n${err instanceof Error ? (err.stack ?? '') : ''}\n`);
    process.exitCode = EXIT.internal;
  }
}

await main(process.argv.slice(2));
