// Where `praetor run` runs: through praetord when one answers, else in this process. Apart from
// run-request.ts so the request (parsed by both) does not import the runners that take it.
import { findDaemon } from './daemon-target.js';
import type { RunRequest } from './run-request.js';

/** Runs the request where it belongs; resolves to the exit code. */
export async function dispatchRun(request: RunRequest): Promise<number> {
  // A command policy is enforced by the guard of the process that holds it: this one.
  const here = request.local || request.policy !== undefined || request.policyMode !== undefined;
  const daemon = here ? null : await findDaemon();
  if (daemon !== null) return (await import('./run-remote.js')).runRemote(daemon, request);
  return (await import('./run-local.js')).runLocal(request);
}
