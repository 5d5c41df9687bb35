// `praetor run` through praetord: one POST /v1/run that makes the sandbox, streams the step and
// leaves the destroy to the daemon (it needs nobody to wait for it), so the one-shot costs one
// round trip. A daemon without that route gets create, one exec, destroy. Loads the client only
// (node:http over the socket): no guard, no backend, no zod.
import { EXIT } from './exit-codes.js';
import type { RunRequest } from './run-request.js';
import type { DaemonTarget } from '../client/target.js';
import type { Praetor } from '../client/praetor.js';
import type { ExecEvent, ExecResult, RunEvent } from '../client/types.js';
import { PraetorApiError } from '../client/errors.js';
import { clientFor, describeApiAlert, tarDirectory, viaDaemon } from './remote.js';

export async function runRemote(target: DaemonTarget, request: RunRequest): Promise<number> {
  const praetor = clientFor(target);
  return viaDaemon(target, async () => {
    try {
      return await runOneShot(praetor, request);
    } catch (err) {
      // An older praetord, without /v1/run.
      if (err instanceof PraetorApiError && err.status === 404 && err.code === 'not-found') return await runInSteps(praetor, request);
      throw err;
    } finally {
      praetor.close();
    }
  });
}

async function sandboxOptions(request: RunRequest): Promise<Parameters<Praetor['sandboxes']['create']>[0]> {
  const { workspace, ...options } = request.sandbox;
  return { ...options, guardMode: request.guard, ...(workspace !== undefined ? { workspace: await tarDirectory(workspace) } : {}) };
}

function execOptions(request: RunRequest): { timeoutMs?: number } {
  return request.timeoutSeconds !== undefined ? { timeoutMs: request.timeoutSeconds * 1000 } : {};
}

/** Prints what a step streams; returns its result once `exit` came. */
async function follow(events: AsyncIterable<RunEvent | ExecEvent>, request: RunRequest, onSandbox: (id: string) => void = () => undefined): Promise<ExecResult | undefined> {
  for await (const e of events) {
    if (e.type === 'sandbox') onSandbox(e.id);
    else if (e.type === 'exit') return e.result;
    else if (request.json) continue; // the result carries stdout, stderr and the alerts
    else if (e.type === 'stdout') process.stdout.write(e.bytes ?? e.data);
    else if (e.type === 'stderr') process.stderr.write(e.bytes ?? e.data);
    else if (e.type === 'alert') process.stderr.write(`praetor: ${describeApiAlert(e.alert)}\n`);
  }
  return undefined;
}

function finish(sandboxId: string, result: ExecResult | undefined, request: RunRequest): number {
  if (result === undefined) return EXIT.sandboxFailure;
  if (request.json) process.stdout.write(`${JSON.stringify({ sandboxId, ...result })}\n`);
  else if (result.timedOut) process.stderr.write(`praetor: killed after --timeout ${request.timeoutText ?? ''}s\n`);
  return result.timedOut ? EXIT.timeout : (result.exitCode ?? 128 + 9);
}

async function runOneShot(praetor: Praetor, request: RunRequest): Promise<number> {
  // Interrupted: leaving is enough, the daemon destroys a run's sandbox when its client goes away.
  const onSignal = (): void => process.exit(EXIT.interrupted);
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    let sandboxId = '';
    const events = praetor.sandboxes.run(request.command, { ...execOptions(request), sandbox: await sandboxOptions(request) });
    const result = await follow(events, request, (id) => (sandboxId = id));
    return finish(sandboxId, result, request);
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

async function runInSteps(praetor: Praetor, request: RunRequest): Promise<number> {
  const sandbox = await praetor.sandboxes.create(await sandboxOptions(request));
  const onSignal = (): void => {
    void sandbox.destroy().finally(() => process.exit(EXIT.interrupted));
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    const result = request.json ? await sandbox.exec(request.command, execOptions(request)) : await follow(sandbox.execStream(request.command, execOptions(request)), request);
    return finish(sandbox.id, result, request);
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    await sandbox.destroy().catch(() => undefined);
  }
}
