// praetor's command-line entry point: runs the command and turns every failure into one line on
// stderr and a documented exit code (exit-codes.ts); --debug adds the stack trace.
// `praetor run ...` takes a fast path that loads neither commander nor any other command: through
// praetord a one-shot run must start about as fast as `node -e 0`.
import { describeFailure } from './exit-codes.js';

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
    const args = argv.filter((a, i) => a !== '--debug' || (argv.indexOf('--') !== -1 && i > argv.indexOf('--')));
    if (args[0] === 'run') {
      const [{ parseRunArgv }, { dispatchRun }] = await Promise.all([import('./run-request.js'), import('./run-dispatch.js')]);
      const request = parseRunArgv(args.slice(1));
      if (request !== null) {
        process.exitCode = await dispatchRun(request);
        return;
      }
    }
    const { buildProgram } = await import('./program.js');
    await (await buildProgram(argv)).parseAsync(argv, { from: 'user' });
  } catch (err) {
    process.exitCode = report(err, debug);
  }
}

await main(process.argv.slice(2));
