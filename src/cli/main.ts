#!/usr/bin/env node
// praetor's command-line entry point: runs the command and maps every error to an exit code.
// `praetor run ...` takes a fast path that loads neither commander nor any other command: through
// praetord a one-shot run must start about as fast as `node -e 0`.
import { PraetorError, errorMessage } from '../core/errors.js';
import { EXIT, exitCodeFor } from './exit-codes.js';

/** commander's own errors (usage, --help, --version) carry codes `commander.*` and an exit code. */
function isCommanderError(err: unknown): err is Error & { exitCode: number } {
  const code = (err as { code?: unknown } | null)?.code;
  return err instanceof Error && typeof code === 'string' && code.startsWith('commander.');
}

async function main(argv: readonly string[]): Promise<void> {
  try {
    if (argv[0] === 'run') {
      const [{ parseRunArgv }, { dispatchRun }] = await Promise.all([import('./run-request.js'), import('./run-dispatch.js')]);
      const request = parseRunArgv(argv.slice(1));
      if (request !== null) {
        process.exitCode = await dispatchRun(request);
        return;
      }
    }
    const { buildProgram } = await import('./program.js');
    await (await buildProgram(argv)).parseAsync(argv, { from: 'user' });
  } catch (err) {
    if (isCommanderError(err)) {
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
