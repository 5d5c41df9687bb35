// `praetor run` through praetord: create, one exec (streamed unless --json), destroy. Loads the
// client only (node:http over the socket): no guard, no backend, no zod.
import { EXIT } from './exit-codes.js';
import type { RunRequest } from './run-request.js';
import type { DaemonTarget } from '../client/target.js';
import type { ExecResult } from '../client/types.js';
import { clientFor, describeApiAlert, tarDirectory, viaDaemon } from './remote.js';

export async function runRemote(target: DaemonTarget, request: RunRequest): Promise<number> {
  const praetor = clientFor(target);
  return viaDaemon(target, async () => {
    const { workspace, ...options } = request.sandbox;
    const sandbox = await praetor.sandboxes.create({
      ...options,
      guardMode: request.guard,
      ...(workspace !== undefined ? { workspace: await tarDirectory(workspace) } : {}),
    });
    const onSignal = (): void => {
      void sandbox.destroy().finally(() => process.exit(130));
    };
    process.once('SIGINT', onSignal);
    process.once('SIGTERM', onSignal);
    try {
      const execOptions = request.timeoutSeconds !== undefined ? { timeoutMs: request.timeoutSeconds * 1000 } : {};
      let result: ExecResult | undefined;
      if (request.json) {
        result = await sandbox.exec(request.command, execOptions);
      } else {
        for await (const e of sandbox.execStream(request.command, execOptions)) {
          if (e.type === 'stdout') process.stdout.write(e.data);
          else if (e.type === 'stderr') process.stderr.write(e.data);
          else if (e.type === 'alert') process.stderr.write(`praetor: ${describeApiAlert(e.alert)}\n`);
          else if (e.type === 'exit') result = e.result;
        }
      }
      if (result === undefined) return EXIT.sandboxFailure;
      if (request.json) process.stdout.write(`${JSON.stringify({ sandboxId: sandbox.id, ...result })}\n`);
      else if (result.timedOut) process.stderr.write(`praetor: killed after --timeout ${request.timeoutText ?? ''}s\n`);
      return result.timedOut ? EXIT.timeout : (result.exitCode ?? 128 + 9);
    } finally {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
      await sandbox.destroy().catch(() => undefined);
      praetor.close();
    }
  });
}
