// Exit codes of the praetor CLI, and how every failure becomes one line and one of them. A command
// run in a sandbox passes its own exit code through; praetor's own outcomes use codes a typical
// command does not (sysexits.h and timeout(1)). Documented in the README; never change one.
import { CommanderError } from 'commander';
import { PraetorError, errorMessage, type PraetorErrorCode } from '../core/errors.js';
import { CliFileError } from './cli-errors.js';

export const EXIT = {
  ok: 0,
  usage: 64, // EX_USAGE: bad flags or arguments, an invalid file or configuration
  noInput: 66, // EX_NOINPUT: an input file (task, rules, events, script, workspace) is missing or unreadable
  sandboxFailure: 69, // EX_UNAVAILABLE: the sandbox could not be created or failed; the host can not run it
  internal: 70, // EX_SOFTWARE: a bug in praetor (--debug prints its stack)
  cantCreate: 73, // EX_CANTCREAT: an output file or the episode store can not be written
  ioError: 74, // EX_IOERR: any other error from the system while reading or writing
  policyDenied: 77, // EX_NOPERM: the guard denied the action
  timeout: 124, // as timeout(1): the command ran past --timeout and was killed
  interrupted: 130, // SIGINT or SIGTERM: praetor cleaned up and stopped
} as const;

export function exitCodeFor(code: PraetorErrorCode): number {
  switch (code) {
    case 'usage':
    case 'invalid-config':
      return EXIT.usage;
    case 'host-unsupported':
    case 'sandbox-failure':
    case 'sandbox-not-found':
      return EXIT.sandboxFailure;
    case 'exec-timeout':
      return EXIT.timeout;
    case 'policy-denied':
      return EXIT.policyDenied;
    case 'internal':
      return EXIT.internal;
  }
}

export interface Failure {
  /** One line, without the "praetor: " prefix. */
  readonly message: string;
  readonly exitCode: number;
}

/** A system error from Node (fs, net): it carries an errno code such as ENOENT. */
function isSystemError(err: unknown): err is NodeJS.ErrnoException {
  return err instanceof Error && typeof (err as NodeJS.ErrnoException).code === 'string' && typeof (err as NodeJS.ErrnoException).syscall === 'string';
}

/** What to print and which code to exit with, for anything a command threw. */
export function describeFailure(err: unknown): Failure {
  if (err instanceof CommanderError) {
    // 'commander.help': a command that needs a subcommand got none; its help went out already.
    if (err.code === 'commander.help') return { message: '', exitCode: EXIT.usage };
    if (err.exitCode === 0) return { message: '', exitCode: EXIT.ok };
    return { message: `${oneLine(err.message.replace(/^error: /, ''))} (see --help)`, exitCode: EXIT.usage };
  }
  if (err instanceof PraetorError) return { message: err.message, exitCode: exitCodeFor(err.code) };
  if (err instanceof CliFileError) return { message: err.message, exitCode: err.direction === 'input' ? EXIT.noInput : EXIT.cantCreate };
  if (isSystemError(err)) return { message: oneLine(err.message), exitCode: EXIT.ioError };
  return { message: `internal error: ${oneLine(errorMessage(err))} (run with --debug for the stack)`, exitCode: EXIT.internal };
}

export function oneLine(text: string): string {
  return text.trim().split('\n').map((l) => l.trim()).filter(Boolean).join(' ');
}
