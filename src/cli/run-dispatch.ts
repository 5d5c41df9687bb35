// Where `praetor run` runs: through praetord when one answers, else in this process. Apart from
// run-request.ts so the request (parsed by both) does not import the runners that take it.
import { findDaemon } from './daemon-target.js';
import type { RunRequest } from './run-request.js';
import type * as RunLocalModule from './run-local.js';

/**
 * run-local.js as the build bundled it (scripts/build-run-bundle.mjs: one file instead of about
 * 220 modules, half the start-up CPU of a one-shot run); the module itself where the build did not
 * make the bundle (tsc alone).
 */
async function loadRunLocal(): Promise<typeof RunLocalModule> {
  const bundle = new URL('../run-bundle/run-local.js', import.meta.url);
  try {
    return (await import(bundle.href)) as typeof RunLocalModule;
  } catch (err) {
    const missing = (err as NodeJS.ErrnoException).code === 'ERR_MODULE_NOT_FOUND' && String((err as Error).message).includes(bundle.pathname);
    if (!missing) throw err;
    return import('./run-local.js');
  }
}

/** Runs the request where it belongs; resolves to the exit code. */
export async function dispatchRun(request: RunRequest): Promise<number> {
  // A command policy is enforced by the guard of the process that holds it: this one.
  const here = request.local || request.policy !== undefined || request.policyMode !== undefined;
  const daemon = here ? null : await findDaemon();
  if (daemon !== null) return (await import('./run-remote.js')).runRemote(daemon, request);
  return (await loadRunLocal()).runLocal(request);
}
